import type Database from "better-sqlite3"
import type { CollectionAccess } from "@machhub/core"
import { recordTables } from "./RecordsProjection.js"
import type { RecordRow } from "./RecordRow.js"

export interface CollectionRow {
  readonly schema: unknown
  readonly access: CollectionAccess
  readonly version: number
}

/** Reads of collection records and definitions; list queries go through the query engine. */
export const makeRecordsReadModel = (db: Database.Database) => {
  const tables = recordTables(db)
  const collection = db.prepare<[string, string], { schema: string | null; access: string; version: number }>(
    "SELECT schema, access, version FROM collections WHERE domain = ? AND tbl = ?"
  )
  const byId = new Map<string, Database.Statement<[string], RecordRow>>()
  return {
    tables,
    collection: (domain: string, table: string): CollectionRow | undefined => {
      const row = collection.get(domain, table)
      return row === undefined
        ? undefined
        : { schema: row.schema === null ? null : JSON.parse(row.schema), access: JSON.parse(row.access) as CollectionAccess, version: row.version }
    },
    get: (domain: string, table: string, id: string): RecordRow | undefined => {
      const name = tables.find(domain, table)
      if (name === undefined) return undefined
      let statement = byId.get(name)
      if (statement === undefined) byId.set(name, (statement = db.prepare<[string], RecordRow>(`SELECT * FROM "${name}" WHERE id = ?`)))
      return statement.get(id)
    }
  }
}

export type RecordsReadModel = ReturnType<typeof makeRecordsReadModel>
