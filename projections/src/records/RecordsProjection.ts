import type Database from "better-sqlite3"
import type { CollectionDefined, RecordEvent, RecordedEvent } from "@machhub/core"
import { perDatabase } from "../runner/perDatabase.js"
import type { Projection } from "../runner/Projection.js"
import { RecordTables } from "./RecordTables.js"

/** The per-database helper that owns the collections' tables (shared by the projection and queries). */
export const recordTables = perDatabase((db) => new RecordTables(db))

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>()
/** Prepared statements per SQL text; each collection table has its own few. */
const prepared = (db: Database.Database, sql: string): Database.Statement => {
  let cache = statements.get(db)
  if (cache === undefined) statements.set(db, (cache = new Map()))
  let statement = cache.get(sql)
  if (statement === undefined) cache.set(sql, (statement = db.prepare(sql)))
  return statement
}

export const creatorKey = (actor: { readonly kind: string; readonly id: string }): string => `${actor.kind}:${actor.id}`

/** Records of every collection, one table per collection, plus the collections' definitions. */
export const recordsProjection: Projection = {
  name: "records",
  version: 1,
  setup(db) {
    recordTables(db).setup()
    db.exec(`CREATE TABLE IF NOT EXISTS collections (
      domain TEXT NOT NULL, tbl TEXT NOT NULL, schema TEXT, access TEXT NOT NULL, version INTEGER NOT NULL, updated TEXT NOT NULL,
      PRIMARY KEY (domain, tbl)
    )`)
  },
  reset(db) {
    recordTables(db).reset()
    db.exec("DROP TABLE IF EXISTS collections")
    statements.delete(db)
  },
  apply(db, event) {
    const domain = event.meta.domain
    if (event.type === "CollectionDefined") {
      const defined = (event as RecordedEvent & CollectionDefined).data
      prepared(db, "INSERT INTO collections (domain, tbl, schema, access, version, updated) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(domain, tbl) DO UPDATE SET schema = excluded.schema, access = excluded.access, version = excluded.version, updated = excluded.updated")
        .run(domain, defined.table, defined.schema === null ? null : JSON.stringify(defined.schema), JSON.stringify(defined.access), event.version, event.meta.at)
      return
    }
    const record = event as RecordedEvent & RecordEvent
    switch (record.type) {
      case "RecordCreated": {
        const name = recordTables(db).ensure(domain, record.data.table)
        prepared(db, `INSERT OR REPLACE INTO "${name}" (id, data, creator, created, updated, version) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(record.data.id, JSON.stringify(record.data.data), creatorKey(record.data.creator), event.meta.at, event.meta.at, event.version)
        return
      }
      case "RecordUpdated": {
        const name = recordTables(db).find(domain, record.data.table)
        if (name === undefined) return
        const row = prepared(db, `SELECT data FROM "${name}" WHERE id = ?`).get(record.data.id) as { data: string } | undefined
        if (row === undefined) return
        const merged = { ...(JSON.parse(row.data) as object), ...record.data.changes }
        prepared(db, `UPDATE "${name}" SET data = ?, updated = ?, version = ? WHERE id = ?`)
          .run(JSON.stringify(merged), event.meta.at, event.version, record.data.id)
        return
      }
      case "RecordDeleted": {
        const name = recordTables(db).find(domain, record.data.table)
        if (name === undefined) return
        prepared(db, `DELETE FROM "${name}" WHERE id = ?`).run(record.data.id)
        return
      }
      default:
        return
    }
  }
}
