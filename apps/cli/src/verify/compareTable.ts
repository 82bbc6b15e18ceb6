import type Database from "better-sqlite3"
import { createHash } from "node:crypto"
import { quoteName, rowCount } from "../readmodels/tables.js"
import { compareKeys } from "./sqlOrder.js"

export interface TableComparison {
  readonly table: string
  readonly liveRows: number
  readonly replayRows: number
  readonly liveChecksum: string
  readonly replayChecksum: string
  /** Rows that differ, are missing or are extra; 0 when the checksums agree. */
  readonly differing: number
  /** The first differences, described for a person. */
  readonly differences: ReadonlyArray<string>
}

type Row = Array<unknown>

interface Shape {
  readonly columns: ReadonlyArray<string>
  /** Indexes (into columns) of the ORDER BY: the primary key, else every column. */
  readonly key: ReadonlyArray<number>
}

const shapeOf = (db: Database.Database, table: string): Shape => {
  const info = db.prepare<[], { name: string; pk: number }>(`PRAGMA table_info(${quoteName(table)})`).all()
  const columns = info.map((c) => c.name)
  const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => columns.indexOf(c.name))
  return { columns, key: pk.length > 0 ? pk : columns.map((_, i) => i) }
}

const orderedRows = (db: Database.Database, table: string, shape: Shape): IterableIterator<Row> =>
  db
    .prepare(`SELECT ${shape.columns.map(quoteName).join(", ")} FROM ${quoteName(table)} ORDER BY ${shape.key.map((i) => quoteName(shape.columns[i]!)).join(", ")}`)
    .raw(true)
    .iterate() as IterableIterator<Row>

/** SHA-256 over the rows in key order, one JSON array per row: equal tables, equal checksums. */
const checksum = (db: Database.Database, table: string, shape: Shape): { rows: number; sha256: string } => {
  const hash = createHash("sha256")
  let rows = 0
  for (const row of orderedRows(db, table, shape)) {
    hash.update(JSON.stringify(row))
    hash.update("\n")
    rows++
  }
  return { rows, sha256: hash.digest("hex") }
}

const show = (value: unknown): string => {
  const text = value instanceof Uint8Array ? `<${value.length} bytes>` : JSON.stringify(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

/** Two differing values; long strings (JSON documents) are shown around their first difference. */
const showPair = (live: unknown, replay: unknown): string => {
  if (typeof live !== "string" || typeof replay !== "string" || (live.length <= 100 && replay.length <= 100)) {
    return `live ${show(live)}, replay ${show(replay)}`
  }
  let at = 0
  while (at < live.length && live[at] === replay[at]) at++
  const from = Math.max(0, at - 30)
  const excerpt = (text: string) => JSON.stringify(`${from > 0 ? "..." : ""}${text.slice(from, at + 50)}${at + 50 < text.length ? "..." : ""}`)
  return `live ${excerpt(live)}, replay ${excerpt(replay)}`
}

/**
 * Compares one table of the live read models with the same table rebuilt from the log: checksums first
 * (one ordered pass over each, flat memory), and only when they differ a second ordered pass over both
 * side by side (a merge join on the key) to name the rows that differ.
 */
export const compareTable = (live: Database.Database, replay: Database.Database, table: string, maxDifferences: number): TableComparison => {
  // Both sides are read in the replay's column and key order, so equal tables hash equally.
  const shape = shapeOf(replay, table)
  const liveColumns = shapeOf(live, table).columns
  if (liveColumns.join("\u0000") !== shape.columns.join("\u0000")) {
    const rows = { liveRows: rowCount(live, table), replayRows: rowCount(replay, table) }
    return {
      table, ...rows, liveChecksum: "", replayChecksum: "", differing: Math.max(rows.liveRows, rows.replayRows, 1),
      differences: [`columns differ: live (${liveColumns.join(", ")}), replay (${shape.columns.join(", ")})`]
    }
  }
  const a = checksum(live, table, shape)
  const b = checksum(replay, table, shape)
  const base = { table, liveRows: a.rows, replayRows: b.rows, liveChecksum: a.sha256, replayChecksum: b.sha256 }
  if (a.sha256 === b.sha256) return { ...base, differing: 0, differences: [] }

  const differences: Array<string> = []
  let differing = 0
  const note = (text: string) => {
    differing++
    if (differences.length < maxDifferences) differences.push(text)
  }
  const keyOf = (row: Row) => shape.key.map((i) => row[i])
  const describeKey = (row: Row) => shape.key.map((i) => `${shape.columns[i]}=${show(row[i])}`).join(" ")
  const liveRows = orderedRows(live, table, shape)
  const replayRows = orderedRows(replay, table, shape)
  let x = liveRows.next()
  let y = replayRows.next()
  while (!x.done || !y.done) {
    const order = x.done ? 1 : y.done ? -1 : compareKeys(keyOf(x.value), keyOf(y.value))
    if (order < 0) {
      note(`${describeKey(x.value as Row)}: only in the live read models`)
      x = liveRows.next()
    } else if (order > 0) {
      note(`${describeKey(y.value as Row)}: missing from the live read models`)
      y = replayRows.next()
    } else {
      const l = x.value as Row
      const r = y.value as Row
      const changed = shape.columns.flatMap((column, i) =>
        JSON.stringify(l[i]) === JSON.stringify(r[i]) ? [] : [`${column}: ${showPair(l[i], r[i])}`]
      )
      if (changed.length > 0) note(`${describeKey(l)}: ${changed.join("; ")}`)
      x = liveRows.next()
      y = replayRows.next()
    }
  }
  return { ...base, differing, differences }
}
