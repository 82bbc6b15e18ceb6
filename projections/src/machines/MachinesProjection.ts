import type Database from "better-sqlite3"
import type { HostKey, MachineEvent, MachineRegistration, MachineSecrets, RecordedEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * SSH machines per domain. The secrets column holds the sealed ciphertexts exactly as recorded
 * (connect needs them); no plaintext ever reaches this table. Deleted machines are removed.
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
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS machines")
  },
  apply(db, event) {
    const machineEvent = event as RecordedEvent & MachineEvent
    const domain = event.meta.domain
    switch (machineEvent.type) {
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

interface Statements {
  readonly insert: Database.Statement
  readonly remove: Database.Statement<[string, number]>
  readonly pin: Database.Statement<[string, number, string, string, number]>
  readonly touch: Database.Statement<[number, string, string, number]>
}
const statements = perDatabase((db): Statements => ({
  insert: db.prepare(`INSERT INTO machines (domain, machine_id, owner_id, owner_name, name, hostname, port, username, organization, secrets, version, created_at, updated_at)
    VALUES (@domain, @machine_id, @owner_id, @owner_name, @name, @hostname, @port, @username, @organization, @secrets, @version, @at, @at)
    ON CONFLICT(domain, machine_id) DO NOTHING`),
  remove: db.prepare("DELETE FROM machines WHERE domain = ? AND machine_id = ?"),
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
  return {
    find: (domain: string, machineId: number): MachineRow | undefined => {
      const raw = one.get(domain, machineId)
      return raw === undefined ? undefined : toRow(raw)
    },
    listOwned: (domain: string, ownerId: string): Array<MachineRow> => owned.all(domain, ownerId).map(toRow)
  }
}

export type MachinesReadModel = ReturnType<typeof makeMachinesReadModel>
