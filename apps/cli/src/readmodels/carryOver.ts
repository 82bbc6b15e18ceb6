import type Database from "better-sqlite3"
import type { Projection } from "@machhub/projections"
import { quoteName, tableNames } from "./tables.js"

/**
 * The read-model database also holds state that is NOT derived from the log by a projection, such as
 * the event publisher's checkpoint (its row in projection_checkpoints: losing it would republish the
 * whole log on NATS). A replay must keep it. Kept: checkpoint rows of names that are not projections,
 * and whole tables (with their indexes and triggers) that the replay did not create.
 * Returns what was kept, for the summary.
 */
export const carryOver = (live: Database.Database, rebuilt: Database.Database, projections: ReadonlyArray<Projection>): Array<string> => {
  const kept: Array<string> = []
  const rebuiltTables = new Set(tableNames(rebuilt))
  const projectionNames = new Set(projections.map((projection) => projection.name))
  const liveTables = tableNames(live)

  const copy = rebuilt.transaction(() => {
    if (liveTables.includes("projection_checkpoints")) {
      const rows = live.prepare<[], { name: string; version: number; position: number }>("SELECT name, version, position FROM projection_checkpoints").all()
      const insert = rebuilt.prepare("INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)")
      for (const row of rows) {
        if (projectionNames.has(row.name)) continue
        insert.run(row.name, row.version, row.position)
        kept.push(`projection_checkpoints[${row.name}]`)
      }
    }
    for (const table of liveTables) {
      if (rebuiltTables.has(table)) continue
      const objects = live
        .prepare<[string], { type: string; sql: string }>("SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'table' DESC")
        .all(table)
      const create = objects.find((o) => o.type === "table")
      if (create === undefined) continue
      rebuilt.exec(create.sql)
      const columns = live.prepare(`SELECT * FROM ${quoteName(table)} LIMIT 0`).columns().map((c) => quoteName(c.name))
      const insert = rebuilt.prepare(`INSERT INTO ${quoteName(table)} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
      for (const row of live.prepare(`SELECT ${columns.join(", ")} FROM ${quoteName(table)}`).raw(true).iterate()) insert.run(...(row as Array<unknown>))
      for (const other of objects) if (other.type !== "table") rebuilt.exec(other.sql)
      kept.push(`table ${table}`)
    }
  })
  copy()
  return kept
}
