import Database from "better-sqlite3"
import { evaluate, parseListQuery, QueryError, toSql, type ListQuery, type ParsedRecordRow } from "@machhub/projections"
import { tempDir } from "../support/temp.js"

/** mulberry32: a tiny seeded PRNG, so every generated case can be replayed from its seed. */
export const prng = (seed: number) => {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)] as A
  const chance = (p: number): boolean => next() < p
  return { next, int, pick, chance }
}
export type Rng = ReturnType<typeof prng>

/** The base seed of a run: QUERY_SEED from the environment to replay a failure, else a fresh one. */
export const baseSeed = (): number => {
  const fromEnv = process.env["QUERY_SEED"]
  return fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31)
}

/** A quoted SQL identifier (the tests use a table name with a quote in it on purpose). */
export const ident = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

/** The records table layout of the records projection (projections/src/records/RecordTables.ts). */
export const createRecordsTable = (db: Database.Database, name: string): void => {
  db.exec(`CREATE TABLE ${ident(name)} (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    creator TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    version INTEGER NOT NULL
  )`)
}

/** An expression index exactly as the records projection declares one. */
export const createFieldIndex = (db: Database.Database, table: string, field: string, suffix = ""): void => {
  db.exec(`CREATE INDEX ${ident(`${table}_${field}${suffix === "" ? "" : "_id"}`)} ON ${ident(table)}(json_extract(data, '$.${field}')${suffix})`)
}

export const openTempDatabase = () => {
  const dir = tempDir("machhub-query-")
  const db = new Database(`${dir.path}/records.db`)
  db.pragma("journal_mode = WAL")
  return { db, close: () => { db.close(); dir.cleanup() } }
}

/** Replaces a table's rows; data is stored as JSON.stringify text, as the projection stores it. */
export const fill = (db: Database.Database, table: string, rows: ReadonlyArray<ParsedRecordRow>): void => {
  const insert = db.prepare(`INSERT INTO ${ident(table)} (id, data, creator, created, updated, version) VALUES (?, ?, ?, ?, ?, ?)`)
  db.transaction(() => {
    db.exec(`DELETE FROM ${ident(table)}`)
    for (const row of rows) insert.run(row.id, JSON.stringify(row.data), row.creator, row.created, row.updated, row.version)
  })()
}

/** Runs a parsed query in SQLite: the page's ids in order and the COUNT query's answer. */
export const runSql = (db: Database.Database, table: string, query: ListQuery) => {
  const sql = toSql(query, table)
  const ids = db.prepare(sql.sql).all(...sql.params).map((row) => (row as { id: string }).id)
  const count = (db.prepare(sql.count.sql).get(...sql.count.params) as { count: number }).count
  return { ids, count }
}

/** Parses, runs in SQLite on each table and evaluates in memory; returns what differs, if anything. */
export const compareEngines = (
  db: Database.Database,
  tables: ReadonlyArray<string>,
  rows: ReadonlyArray<ParsedRecordRow>,
  params: URLSearchParams
): { readonly parsed: ListQuery | QueryError; readonly count?: number; readonly mismatch?: string } => {
  const parsed = parseListQuery(params)
  if (parsed instanceof QueryError) return { parsed }
  const expected = evaluate(rows, parsed)
  for (const table of tables) {
    const actual = runSql(db, table, parsed)
    if (JSON.stringify(actual) !== JSON.stringify({ ids: expected.ids, count: expected.count })) {
      return {
        parsed,
        mismatch: `table ${table}\n  query: ${params.toString()}\n  sql:   ${toSql(parsed, table).sql}\n  sql result:    ${JSON.stringify(actual)}\n  memory result: ${JSON.stringify(expected)}`
      }
    }
  }
  return { parsed, count: expected.count }
}
