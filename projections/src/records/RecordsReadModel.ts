import type Database from "better-sqlite3"
import type { CollectionAccess, RecordedEvent } from "@machhub/core"
import { recordTables } from "./RecordsProjection.js"
import type { RecordRow } from "./RecordRow.js"

export interface CollectionRow {
  readonly schema: unknown
  readonly access: CollectionAccess
  readonly version: number
}

/** Reads of collection records and definitions; list queries go through the query engine. */
export const makeRecordsReadModel = (db: Database.Database, onApplied?: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void) => {
  const tables = recordTables(db)
  // Definitions are read on every write; they change rarely, so they are kept in memory and dropped
  // whenever a CollectionDefined is applied (before the definer's response goes out).
  const definitions = new Map<string, CollectionRow | null>()
  onApplied?.((events) => {
    if (events.some((e) => e.type === "CollectionDefined")) definitions.clear()
  })
  const collection = db.prepare<[string, string], { schema: string | null; access: string; version: number }>(
    "SELECT schema, access, version FROM collections WHERE domain = ? AND tbl = ?"
  )
  const byId = new Map<string, Database.Statement<[string], RecordRow>>()
  return {
    tables,
    collection: (domain: string, table: string): CollectionRow | undefined => {
      const key = `${domain}\u0000${table}`
      const known = definitions.get(key)
      if (known !== undefined) return known ?? undefined
      const row = collection.get(domain, table)
      const definition = row === undefined
        ? null
        : { schema: row.schema === null ? null : JSON.parse(row.schema), access: JSON.parse(row.access) as CollectionAccess, version: row.version }
      if (onApplied !== undefined) definitions.set(key, definition)
      return definition ?? undefined
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
