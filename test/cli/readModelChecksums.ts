import Database from "better-sqlite3"
import { createHash } from "node:crypto"

/**
 * Per table of a read-model database: a SHA-256 over its rows ordered by every column, computed here
 * independently of the CLI's own verify. Checkpoint positions are left out: they are compared on their own.
 */
export const readModelChecksums = (path: string): Record<string, string> => {
  const db = new Database(path, { readonly: true })
  try {
    const tables = db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all()
    const result: Record<string, string> = {}
    for (const table of tables) {
      const columns = db.prepare(`SELECT * FROM "${table}" LIMIT 0`).columns().map((c) => `"${c.name}"`)
      const hash = createHash("sha256")
      for (const row of db.prepare(`SELECT * FROM "${table}" ORDER BY ${columns.join(", ")}`).raw(true).iterate()) {
        hash.update(`${JSON.stringify(row)}\n`)
      }
      result[table] = hash.digest("hex")
    }
    return result
  } finally {
    db.close()
  }
}
