import type Database from "better-sqlite3"
import type { KeyDerivation, MachineVaultEvent, RecordedEvent, SealedSecret } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"

/** Each user's machine vault: the key-derivation salt and cost and the sealed check value, as of the last master-password change. */
export const machineVaultsProjection: Projection = {
  name: "machine_vaults",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS machine_vaults (
      owner_id TEXT PRIMARY KEY,
      domain TEXT NOT NULL,
      kdf TEXT NOT NULL,
      check_value TEXT NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL
    )`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS machine_vaults")
  },
  apply(db, event) {
    const vaultEvent = event as RecordedEvent & MachineVaultEvent
    if (vaultEvent.type === "MasterPasswordChanged") {
      db.prepare("UPDATE machine_vaults SET kdf = ?, check_value = ?, version = ? WHERE owner_id = ?")
        .run(JSON.stringify(vaultEvent.data.kdf), vaultEvent.data.check, event.version, vaultEvent.data.ownerId)
      return
    }
    if (vaultEvent.type !== "MachineVaultCreated") return
    db.prepare(`INSERT INTO machine_vaults (owner_id, domain, kdf, check_value, version, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(owner_id) DO NOTHING`)
      .run(vaultEvent.data.ownerId, event.meta.domain, JSON.stringify(vaultEvent.data.kdf), vaultEvent.data.check, event.version, event.meta.at)
  }
}

export interface MachineVaultRow {
  readonly ownerId: string
  /** The domain whose stream holds the vault (the owner's home domain). */
  readonly domain: string
  readonly kdf: KeyDerivation
  readonly check: SealedSecret
}

export const makeMachineVaultsReadModel = (db: Database.Database) => {
  const one = db.prepare<[string], { owner_id: string; domain: string; kdf: string; check_value: string }>(
    "SELECT owner_id, domain, kdf, check_value FROM machine_vaults WHERE owner_id = ?"
  )
  return {
    find: (ownerId: string): MachineVaultRow | undefined => {
      const raw = one.get(ownerId)
      return raw === undefined
        ? undefined
        : { ownerId: raw.owner_id, domain: raw.domain, kdf: JSON.parse(raw.kdf) as KeyDerivation, check: raw.check_value }
    }
  }
}

export type MachineVaultsReadModel = ReturnType<typeof makeMachineVaultsReadModel>
