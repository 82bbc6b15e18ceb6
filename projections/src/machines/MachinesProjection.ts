import type Database from "better-sqlite3"
import type { HostKey, MachineEvent, MachineRegistration, MachineSecrets, MachineVaultEvent, RecordedEvent, ResealedMachine } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * SSH machines per domain. The secrets column holds the sealed ciphertexts exactly as recorded
 * (connect needs them); no plaintext ever reaches this table. Deleted machines are removed. A change
 * of the owner's master password (an event of the owner's vault) replaces the secrets of each machine
 * it re-sealed, and only of machines that owner owns.
 */
export const machinesProjection: Projection = {
  name: "machines",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS machines (
      domain TEXT NOT NULL,
      machine_id INTEGER NOT NULL,
      owner_id TEXT NOT NULL,
      owner_name TEXT NOT NULL,
      name TEXT NOT NULL,
      hostname TEXT NOT NULL,
      port TEXT NOT NULL,
      username TEXT NOT NULL,
      organization TEXT,
      secrets TEXT NOT NULL,
      host_key TEXT,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, machine_id)
    )`)
    db.exec("CREATE INDEX IF NOT EXISTS machines_by_owner ON machines (domain, owner_id, machine_id)")
    // A master-password change re-seals the owner's machines in every domain.
    db.exec("CREATE INDEX IF NOT EXISTS machines_by_owner_everywhere ON machines (owner_id)")
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS machines")
  },
  apply(db, event) {
    const machineEvent = event as RecordedEvent & (MachineEvent | MachineVaultEvent)
    const domain = event.meta.domain
    switch (machineEvent.type) {
      case "MasterPasswordChanged":
      case "MachineSecretsResealed":
        reseal(db, machineEvent.data.ownerId, machineEvent.data.machines, event)
        return
      case "MachineRegistered": {
        const data = machineEvent.data
        statements(db).insert.run({
          domain,
          machine_id: data.machineId,
          owner_id: data.ownerId,
          owner_name: data.ownerName,
          name: data.name,
          hostname: data.hostname,
          port: data.port,
          username: data.username,
          organization: data.organization,
          secrets: JSON.stringify(data.secrets),
          version: event.version,
          at: event.meta.at
        })
        return
      }
      case "MachineDeleted":
        statements(db).remove.run(domain, machineEvent.data.machineId)
        return
      case "HostKeyPinned":
        statements(db).pin.run(JSON.stringify(machineEvent.data.hostKey), event.version, event.meta.at, domain, machineEvent.data.machineId)
        return
      case "HostKeyVerified":
      case "HostKeyMismatch":
      case "MachineConnected":
      case "MachineConnectFailed":
        statements(db).touch.run(event.version, event.meta.at, domain, machineEvent.data.machineId)
        return
      default:
        return
    }
  }
}

/** The vault's stream lives in the owner's home domain: each machine names its own domain. */
const reseal = (db: Database.Database, ownerId: string, machines: ReadonlyArray<ResealedMachine>, event: RecordedEvent) => {
  const update = statements(db).reseal
  for (const machine of machines) update.run(JSON.stringify(machine.secrets), event.meta.at, machine.domain, machine.machineId, ownerId)
}

interface Statements {
  readonly insert: Database.Statement
  readonly reseal: Database.Statement<[string, string, string, number, string]>
  readonly remove: Database.Statement<[string, number]>
  readonly pin: Database.Statement<[string, number, string, string, number]>
  readonly touch: Database.Statement<[number, string, string, number]>
}
const statements = perDatabase((db): Statements => ({
  insert: db.prepare(`INSERT INTO machines (domain, machine_id, owner_id, owner_name, name, hostname, port, username, organization, secrets, version, created_at, updated_at)
    VALUES (@domain, @machine_id, @owner_id, @owner_name, @name, @hostname, @port, @username, @organization, @secrets, @version, @at, @at)
    ON CONFLICT(domain, machine_id) DO NOTHING`),
  remove: db.prepare("DELETE FROM machines WHERE domain = ? AND machine_id = ?"),
  // The version is the machine stream's (ETag); a vault event does not move it.
  reseal: db.prepare("UPDATE machines SET secrets = ?, updated_at = ? WHERE domain = ? AND machine_id = ? AND owner_id = ?"),
  pin: db.prepare("UPDATE machines SET host_key = ?, version = ?, updated_at = ? WHERE domain = ? AND machine_id = ?"),
  touch: db.prepare("UPDATE machines SET version = ?, updated_at = ? WHERE domain = ? AND machine_id = ?")
}))

/** A registered machine as recorded (secrets: ciphertexts only), with what followed its registration. */
export interface MachineRow extends MachineRegistration {
  readonly domain: string
  readonly hostKey: HostKey | null
  /** Stream version (for ETag / If-Match). */
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
}

interface RawMachineRow {
  domain: string
  machine_id: number
  owner_id: string
  owner_name: string
  name: string
  hostname: string
  port: string
  username: string
  organization: string | null
  secrets: string
  host_key: string | null
  version: number
  created_at: string
  updated_at: string
}

const toRow = (raw: RawMachineRow): MachineRow => ({
  domain: raw.domain,
  machineId: raw.machine_id,
  ownerId: raw.owner_id,
  ownerName: raw.owner_name,
  name: raw.name,
  hostname: raw.hostname,
  port: raw.port,
  username: raw.username,
  organization: raw.organization,
  secrets: JSON.parse(raw.secrets) as MachineSecrets,
  hostKey: raw.host_key === null ? null : (JSON.parse(raw.host_key) as HostKey),
  version: raw.version,
  createdAt: raw.created_at,
  updatedAt: raw.updated_at
})

export const makeMachinesReadModel = (db: Database.Database) => {
  const one = db.prepare<[string, number], RawMachineRow>("SELECT * FROM machines WHERE domain = ? AND machine_id = ?")
  const owned = db.prepare<[string, string], RawMachineRow>("SELECT * FROM machines WHERE domain = ? AND owner_id = ? ORDER BY machine_id")
  const labelled = db.prepare<[string, string, string], RawMachineRow>(
    "SELECT * FROM machines WHERE domain = ? AND owner_id = ? AND organization = ? ORDER BY machine_id"
  )
  const everywhere = db.prepare<[string], RawMachineRow>("SELECT * FROM machines WHERE owner_id = ? ORDER BY domain, machine_id")
  return {
    find: (domain: string, machineId: number): MachineRow | undefined => {
      const raw = one.get(domain, machineId)
      return raw === undefined ? undefined : toRow(raw)
    },
    /** The owner's machines of one domain; only those labelled `organization` when it is given. */
    listOwned: (domain: string, ownerId: string, organization?: string): Array<MachineRow> =>
      (organization === undefined ? owned.all(domain, ownerId) : labelled.all(domain, ownerId, organization)).map(toRow),
    /** The owner's machines in every domain (what one master password seals). */
    listOwnedEverywhere: (ownerId: string): Array<MachineRow> => everywhere.all(ownerId).map(toRow)
  }
}

export type MachinesReadModel = ReturnType<typeof makeMachinesReadModel>
