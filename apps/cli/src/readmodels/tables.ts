import type Database from "better-sqlite3"

/** The user tables of a database (not SQLite's own), by name. */
export const tableNames = (db: Database.Database): Array<string> =>
  db
    .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .pluck()
    .all()

export const quoteName = (name: string): string => `"${name.replaceAll('"', '""')}"`

export const rowCount = (db: Database.Database, table: string): number =>
  db.prepare<[], number>(`SELECT count(*) FROM ${quoteName(table)}`).pluck().get()!
