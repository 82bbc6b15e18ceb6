import type Database from "better-sqlite3"
import type { GroupEvent, Permission, RecordedEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"

/** Groups and their permissions, per domain. */
export const groupsProjection: Projection = {
  name: "groups",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS groups (
      domain TEXT NOT NULL,
      name TEXT NOT NULL,
      permissions TEXT NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, name)
    )`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS groups")
  },
  apply(db, event) {
    const groupEvent = event as RecordedEvent & GroupEvent
    const domain = event.meta.domain
    switch (groupEvent.type) {
      case "GroupCreated":
        db.prepare("INSERT OR IGNORE INTO groups (domain, name, permissions, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
          .run(domain, groupEvent.data.name, JSON.stringify(groupEvent.data.permissions), event.version, event.meta.at, event.meta.at)
        return
      case "PermissionGranted":
      case "PermissionRevoked": {
        const row = db.prepare<[string, string], { permissions: string }>("SELECT permissions FROM groups WHERE domain = ? AND name = ?")
          .get(domain, groupEvent.data.name)
        if (row === undefined) return
        const key = (p: Permission) => `${p.feature}:${p.action}:${p.scope}`
        const target = key(groupEvent.data.permission)
        const current = (JSON.parse(row.permissions) as Array<Permission>).filter((p) => key(p) !== target)
        if (groupEvent.type === "PermissionGranted") current.push(groupEvent.data.permission)
        db.prepare("UPDATE groups SET permissions = ?, version = ?, updated_at = ? WHERE domain = ? AND name = ?")
          .run(JSON.stringify(current), event.version, event.meta.at, domain, groupEvent.data.name)
        return
      }
      default:
        return
    }
  }
}

export interface GroupRow {
  readonly domain: string
  readonly name: string
  readonly permissions: ReadonlyArray<Permission>
  readonly version: number
}

export const makeGroupsReadModel = (db: Database.Database) => {
  const one = db.prepare<[string, string], { domain: string; name: string; permissions: string; version: number }>(
    "SELECT domain, name, permissions, version FROM groups WHERE domain = ? AND name = ?"
  )
  const all = db.prepare<[string], { domain: string; name: string; permissions: string; version: number }>(
    "SELECT domain, name, permissions, version FROM groups WHERE domain = ? ORDER BY name"
  )
  const toRow = (raw: { domain: string; name: string; permissions: string; version: number }): GroupRow => ({
    ...raw,
    permissions: JSON.parse(raw.permissions) as Array<Permission>
  })
  return {
    find: (domain: string, name: string): GroupRow | undefined => {
      const raw = one.get(domain, name)
      return raw === undefined ? undefined : toRow(raw)
    },
    list: (domain: string): Array<GroupRow> => all.all(domain).map(toRow)
  }
}

export type GroupsReadModel = ReturnType<typeof makeGroupsReadModel>
