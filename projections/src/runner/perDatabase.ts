import type Database from "better-sqlite3"

/**
 * Builds something once per database connection (typically a projection's prepared statements) and
 * hands the same one back afterwards; a connection that is gone takes its entry with it.
 */
export const perDatabase = <T>(build: (db: Database.Database) => T): ((db: Database.Database) => T) => {
  const built = new WeakMap<Database.Database, T>()
  return (db) => {
    let value = built.get(db)
    if (value === undefined) {
      value = build(db)
      built.set(db, value)
    }
    return value
  }
}
