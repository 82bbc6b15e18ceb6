import Database from "better-sqlite3"

/**
 * How hard SQLite works to make a commit durable (WAL mode in both cases):
 * - "normal": WAL + synchronous=NORMAL. A commit is in the WAL (in the OS page cache) before append
 *   resolves, so it survives a crash of this process; after a power loss or OS crash the most recent
 *   transactions may be rolled back (the database itself stays consistent). No fsync per commit.
 * - "full": WAL + synchronous=FULL. The WAL is fsync'ed at every commit, so an acknowledged append also
 *   survives power loss. Group commit keeps this affordable: one fsync per batch, not per append.
 */
export type Synchronous = "normal" | "full"

/**
 * `position` is an AUTOINCREMENT rowid so positions are never reused, even after the last event is
 * deleted by hand. `UNIQUE(stream, version)` doubles as the index that answers "current version of stream
 * S" with one seek (`ORDER BY version DESC LIMIT 1`). A separate `streams(stream, version)` table was
 * measured and was no faster (within noise) while adding a write per append; recently used heads are
 * cached in memory instead (StreamHeads.ts).
 */
const schema = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id       TEXT    NOT NULL UNIQUE,
  stream   TEXT    NOT NULL,
  version  INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  data     BLOB,
  meta     BLOB,
  UNIQUE (stream, version)
);
`

export interface OpenOptions {
  readonly path: string
  readonly synchronous: Synchronous
  /** Caps the database size (SQLite's max_page_count); writes beyond it fail like a full disk. */
  readonly maxSizeBytes?: number | undefined
  /** WAL size (pages) at which a commit also checkpoints; see Checkpointer for why it can be large. */
  readonly autoCheckpointPages: number
}

/** Opens (creating if needed) an event store database. Throws on failure; the caller maps the error. */
export const openDatabase = (options: OpenOptions): Database.Database => {
  const db = new Database(options.path)
  try {
    db.pragma("journal_mode = WAL")
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
    // This process is the only writer; the timeout only matters if an outside tool (backup, sqlite3
    // shell) briefly holds the write lock. It blocks the event loop, so it is kept short.
    db.pragma("busy_timeout = 2000")
    db.pragma(`wal_autocheckpoint = ${options.autoCheckpointPages}`)
    // Once the WAL restarts, give back what a burst made it grow to beyond 64 MiB.
    db.pragma("journal_size_limit = 67108864")
    db.exec(schema)
    if (options.maxSizeBytes !== undefined) {
      const pageSize = db.pragma("page_size", { simple: true }) as number
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`)
    }
    return db
  } catch (error) {
    db.close()
    throw error
  }
}
