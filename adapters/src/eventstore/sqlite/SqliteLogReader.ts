import type { EventMeta, RecordedEvent } from "@machhub/core"
import Database from "better-sqlite3"
import { decode } from "./codec.js"

/** Which events a page holds; every field narrows, an empty or missing list means "any". */
export interface LogSelection {
  /** Last position to read (inclusive): a snapshot's end, so an export ends although the log grows. */
  readonly upTo?: number | undefined
  readonly streams?: ReadonlyArray<string> | undefined
  readonly types?: ReadonlyArray<string> | undefined
}

export interface LogPage {
  readonly events: ReadonlyArray<RecordedEvent>
  /**
   * Where the next page starts. Past the last event returned, or past the head when the page was not
   * full: events skipped by the selection are never scanned twice.
   */
  readonly next: number
  /** The last committed position in the same snapshot as the page. */
  readonly head: number
}

/** Reads one page of the selection starting at position `from` (inclusive). */
export type PageReader = (from: number, limit: number) => LogPage

/**
 * A read-only view of a SQLite event log that another process (the server) may be writing. It never
 * writes and never takes the write lock, so it can run next to a live server.
 *
 * Each page and the head it reports come from ONE read transaction. That is what makes following the
 * log by polling exact: a page that is not full proves that nothing up to `head` was left behind, so
 * the next read can start after `head` (no gap), and the next read always starts after what was
 * returned (no duplicate). Positions are assigned by the single writer in commit order, so no later
 * commit can add an event below a position already seen.
 */
export interface SqliteLogReader {
  readonly path: string
  /** The last committed position (0 for an empty log). */
  head(): number
  select(selection?: LogSelection): PageReader
  close(): void
}

type Row = [position: number, id: string, stream: string, version: number, type: string, data: Buffer | null, meta: Buffer | null]

const toEvent = (row: Row): RecordedEvent => ({
  position: row[0],
  id: row[1],
  stream: row[2],
  version: row[3],
  type: row[4],
  data: decode(row[5]),
  meta: decode(row[6]) as EventMeta
})

/** Opens the log read-only; throws (with SQLite's message) when the file is missing or not a log. */
export const openSqliteLogReader = (path: string): SqliteLogReader => {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    // The writer may hold the write lock for a batch: wait for it rather than fail a read.
    db.pragma("busy_timeout = 5000")
    const headStatement = db.prepare<[], number>("SELECT coalesce(max(position), 0) FROM events").pluck()
    const head = () => headStatement.get()!

    const select = (selection: LogSelection = {}): PageReader => {
      const streams = selection.streams ?? []
      const types = selection.types ?? []
      const where = ["position >= ?", "position <= ?"]
      if (streams.length > 0) where.push(`stream IN (${streams.map(() => "?").join(", ")})`)
      if (types.length > 0) where.push(`type IN (${types.map(() => "?").join(", ")})`)
      const page = db
        .prepare<Array<unknown>, Row>(
          `SELECT position, id, stream, version, type, data, meta FROM events WHERE ${where.join(" AND ")} ORDER BY position LIMIT ?`
        )
        .raw(true)
      const upTo = selection.upTo ?? Number.MAX_SAFE_INTEGER
      const read = db.transaction((from: number, limit: number): LogPage => {
        const last = head()
        const end = Math.min(last, upTo)
        const rows = from > end ? [] : page.all(Math.max(1, from), end, ...streams, ...types, limit)
        const events = rows.map(toEvent)
        const next = rows.length === limit ? rows[rows.length - 1]![0] + 1 : Math.max(from, end + 1)
        return { events, next, head: last }
      })
      return (from, limit) => read(from, limit)
    }

    return { path, head, select, close: () => db.close() }
  } catch (error) {
    db.close()
    throw error
  }
}
