import type Database from "better-sqlite3"

/**
 * One SQLite table per collection (domain + table name): a query can only ever read the table of the
 * caller's domain, and each collection can carry the expression indexes its own queries need. The
 * SQL names are generated (`r1`, `r2`, …) and kept in `record_tables`, so no user-chosen name ever
 * becomes SQL text.
 */
export class RecordTables {
  private readonly names = new Map<string, string>()
  private readonly indexes = new Map<string, Set<string>>()

  constructor(private readonly db: Database.Database) {}

  setup(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS record_tables (
      domain TEXT NOT NULL, tbl TEXT NOT NULL, name TEXT NOT NULL UNIQUE, PRIMARY KEY (domain, tbl)
    )`)
    this.db.exec("CREATE TABLE IF NOT EXISTS record_indexes (name TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (name, path))")
  }

  reset(): void {
    this.setup()
    const all = this.db.prepare<[], { name: string }>("SELECT name FROM record_tables").all()
    for (const { name } of all) this.db.exec(`DROP TABLE IF EXISTS "${name}"`)
    this.db.exec("DROP TABLE IF EXISTS record_tables")
    this.db.exec("DROP TABLE IF EXISTS record_indexes")
    this.names.clear()
    this.indexes.clear()
  }

  /** The SQL name of a collection's table, or undefined when nothing was ever written to it. */
  find(domain: string, table: string): string | undefined {
    const key = `${domain}\u0000${table}`
    let name = this.names.get(key)
    if (name === undefined) {
      name = this.db.prepare<[string, string], { name: string }>("SELECT name FROM record_tables WHERE domain = ? AND tbl = ?").get(domain, table)?.name
      if (name !== undefined) this.names.set(key, name)
    }
    return name
  }

  /** Creates the collection's table on its first record. Runs inside the projection's transaction. */
  ensure(domain: string, table: string): string {
    const existing = this.find(domain, table)
    if (existing !== undefined) return existing
    const next = (this.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM record_tables").get()?.n ?? 0) + 1
    const name = `r${next}`
    this.db.exec(`CREATE TABLE IF NOT EXISTS "${name}" (
      id TEXT PRIMARY KEY,
      data TEXT NOT NULL,
      creator TEXT NOT NULL,
      created TEXT NOT NULL,
      updated TEXT NOT NULL,
      version INTEGER NOT NULL
    )`)
    this.db.exec(`CREATE INDEX IF NOT EXISTS "${name}_creator" ON "${name}"(creator)`)
    this.db.prepare("INSERT INTO record_tables (domain, tbl, name) VALUES (?, ?, ?)").run(domain, table, name)
    this.names.set(`${domain}\u0000${table}`, name)
    return name
  }

  /**
   * Adds an expression index for a JSON path a query filters or sorts on, or for several comma-joined
   * paths (a composite index, see compositeIndexKey), with `id` after them so the final id tie-breaker
   * of a sorted page needs no sort step (at most `max` per table, to bound the cost every write pays).
   * Each path must already be validated by the query parser; anything else is ignored.
   */
  ensureIndex(name: string, path: string, max = 16): void {
    let known = this.indexes.get(name)
    if (known === undefined) {
      known = new Set(this.db.prepare<[string], { path: string }>("SELECT path FROM record_indexes WHERE name = ?").all(name).map((r) => r.path))
      this.indexes.set(name, known)
    }
    if (known.has(path) || known.size >= max) return
    const paths = path.split(",")
    if (!paths.every((p) => /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(p))) return
    const columns = paths.map((p) => `json_extract(data, '$.${p}')`).join(", ")
    this.db.exec(`CREATE INDEX IF NOT EXISTS "${name}_ix${known.size + 1}" ON "${name}"(${columns}, id)`)
    this.db.prepare("INSERT OR IGNORE INTO record_indexes (name, path) VALUES (?, ?)").run(name, path)
    known.add(path)
  }
}
