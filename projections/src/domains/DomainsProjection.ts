import type Database from "better-sqlite3"
import type { DomainCreated, RecordedEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"

/** The tenants that exist. */
export const domainsProjection: Projection = {
  name: "domains",
  version: 1,
  setup(db) {
    db.exec("CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, created_by TEXT NOT NULL)")
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS domains")
  },
  apply(db, event) {
    if (event.type !== "DomainCreated") return
    const created = event as RecordedEvent & DomainCreated
    db.prepare("INSERT OR IGNORE INTO domains (name, created_at, created_by) VALUES (?, ?, ?)")
      .run(created.data.name, event.meta.at, `${event.meta.actor.kind}:${event.meta.actor.id}`)
  }
}

export interface DomainRow {
  readonly name: string
  readonly createdAt: string
}

export const makeDomainsReadModel = (db: Database.Database) => {
  const one = db.prepare<[string], { name: string; created_at: string }>("SELECT name, created_at FROM domains WHERE name = ?")
  const all = db.prepare<[], { name: string; created_at: string }>("SELECT name, created_at FROM domains ORDER BY name")
  return {
    exists: (name: string): boolean => one.get(name) !== undefined,
    list: (): Array<DomainRow> => all.all().map((r) => ({ name: r.name, createdAt: r.created_at }))
  }
}

export type DomainsReadModel = ReturnType<typeof makeDomainsReadModel>
