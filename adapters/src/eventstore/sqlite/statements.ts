import type Database from "better-sqlite3"
import type { EventMeta, RecordedEvent } from "@machhub/core"
import { decode } from "./codec.js"

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
  /** Inserts one event and returns its position. */
  readonly insert: (id: string, stream: string, version: number, type: string, data: Buffer, meta: Buffer) => number
  readonly readStream: (stream: string, fromVersion: number) => Array<EventRow>
  readonly readAll: (fromPosition: number, limit: number) => Array<EventRow>
  readonly headPosition: () => number
}

const columns = "position, id, stream, version, type, data, meta"

export const prepareStatements = (db: Database.Database): Statements => {
  const findById = db.prepare<[string], StoredRef>("SELECT stream, version, position FROM events WHERE id = ?")
  const streamHead = db.prepare<[string], StreamHead>(
    "SELECT version, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1"
  )
  const insert = db.prepare<[string, string, number, string, Buffer, Buffer]>(
    "INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, ?, ?, ?, ?, ?)"
  )
  const readStream = db.prepare<[string, number], EventRow>(
    `SELECT ${columns} FROM events WHERE stream = ? AND version >= ? ORDER BY version`
  )
  const readAll = db.prepare<[number, number], EventRow>(
    `SELECT ${columns} FROM events WHERE position >= ? ORDER BY position LIMIT ?`
  )
  const headPosition = db.prepare<[], { head: number }>("SELECT coalesce(max(position), 0) AS head FROM events")
  return {
    findById: (id) => findById.get(id),
    streamHead: (stream) => streamHead.get(stream),
    insert: (id, stream, version, type, data, meta) =>
      Number(insert.run(id, stream, version, type, data, meta).lastInsertRowid),
    readStream: (stream, fromVersion) => readStream.all(stream, fromVersion),
    readAll: (fromPosition, limit) => readAll.all(fromPosition, limit),
    headPosition: () => headPosition.get()!.head
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
