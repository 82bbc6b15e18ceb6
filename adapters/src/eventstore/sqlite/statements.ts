import Database from "better-sqlite3"
import type { EventMeta, RecordedEvent } from "@machhub/core"
import { decode } from "./codec.js"

/** The fields of an event the store writes, `data` and `meta` already encoded. */
export interface EncodedEvent {
  readonly id: string
  readonly type: string
  readonly data: Buffer
  readonly meta: Buffer
}

export interface EventRow {
  readonly position: number
  readonly id: string
  readonly stream: string
  readonly version: number
  readonly type: string
  readonly data: Buffer | null
  readonly meta: Buffer | null
}

export interface StoredRef {
  readonly stream: string
  readonly version: number
  readonly position: number
}

export interface StreamHead {
  readonly version: number
  readonly position: number
}

/** Every statement the store runs, prepared once: preparing per call would dominate the hot path. */
export interface Statements {
  /** Where an event id is stored, if it is. */
  readonly findById: (id: string) => StoredRef | undefined
  /** Version and position of a stream's last event, if the stream exists (one index seek). */
  readonly streamHead: (stream: string) => StreamHead | undefined
  /**
   * Inserts events as versions current+1.. of a stream; returns the first and last position. All or
   * nothing: a failure (such as an id that is already stored) leaves no event of the call behind.
   */
  readonly insertEvents: (
    stream: string,
    current: number,
    events: ReadonlyArray<EncodedEvent>
  ) => { readonly firstPosition: number; readonly position: number }
  /** `limit` -1: no limit. */
  readonly readStream: (stream: string, fromVersion: number, limit: number) => Array<EventRow>
  readonly readAll: (fromPosition: number, limit: number) => Array<EventRow>
  readonly headPosition: () => number
  /** Changes when another connection commits to the file (not on this connection's own commits). */
  readonly dataVersion: () => number
}

/** The error SQLite raises when an inserted event's id is already stored. */
export const isDuplicateIdError = (error: unknown): boolean =>
  error instanceof Database.SqliteError &&
  error.code === "SQLITE_CONSTRAINT_UNIQUE" &&
  error.message.includes("events.id")

const columns = "position, id, stream, version, type, data, meta"

export const prepareStatements = (db: Database.Database): Statements => {
  const findById = db.prepare<[string], StoredRef>("SELECT stream, version, position FROM events WHERE id = ?")
  const streamHead = db.prepare<[string], StreamHead>(
    "SELECT version, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1"
  )
  const insert = db.prepare<[string, string, number, string, Buffer, Buffer]>(
    "INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, ?, ?, ?, ?, ?)"
  )
  const readStream = db.prepare<[string, number, number], EventRow>(
    `SELECT ${columns} FROM events WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?`
  )
  const readAll = db.prepare<[number, number], EventRow>(
    `SELECT ${columns} FROM events WHERE position >= ? ORDER BY position LIMIT ?`
  )
  const headPosition = db.prepare<[], { head: number }>("SELECT coalesce(max(position), 0) AS head FROM events")
  const dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck()

  const insertOne = (stream: string, version: number, event: EncodedEvent): number =>
    Number(insert.run(event.id, stream, version, event.type, event.data, event.meta).lastInsertRowid)
  // Called inside the batch transaction, a better-sqlite3 transaction function runs as a SAVEPOINT and
  // rolls back to it when it throws: the other appends of the batch keep their writes. A single insert
  // needs no savepoint: a failed statement never leaves anything behind.
  const insertMany = db.transaction((stream: string, current: number, events: ReadonlyArray<EncodedEvent>) => {
    const firstPosition = insertOne(stream, current + 1, events[0]!)
    let position = firstPosition
    for (let i = 1; i < events.length; i++) position = insertOne(stream, current + i + 1, events[i]!)
    return { firstPosition, position }
  })

  return {
    findById: (id) => findById.get(id),
    streamHead: (stream) => streamHead.get(stream),
    insertEvents: (stream, current, events) => {
      if (events.length !== 1) return insertMany(stream, current, events)
      const position = insertOne(stream, current + 1, events[0]!)
      return { firstPosition: position, position }
    },
    readStream: (stream, fromVersion, limit) => readStream.all(stream, fromVersion, limit),
    readAll: (fromPosition, limit) => readAll.all(fromPosition, limit),
    headPosition: () => headPosition.get()!.head,
    dataVersion: () => dataVersion.get()!
  }
}

export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  id: row.id,
  type: row.type,
  data: decode(row.data),
  meta: decode(row.meta) as EventMeta,
  stream: row.stream,
  version: row.version,
  position: row.position
})
