import Database from "better-sqlite3"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { Context, Effect, Layer } from "effect"

/**
 * The SQLite database that holds this node's read models. Read models can always be rebuilt from the
 * log, so the file trades durability for speed (synchronous=NORMAL in WAL mode).
 */
export const openReadModelDatabase = (path: string): Database.Database => {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("foreign_keys = ON")
  ensureCheckpointTable(db)
  return db
}

/** The table where each projection (and the event publisher) keeps the position it has applied. */
export const ensureCheckpointTable = (db: Database.Database): void => {
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL
  )`)
}

/** This node's read-model database, opened for the life of the layer and closed after everything using it. */
/** An interface rather than the driver's type itself, so the declaration emitted for the tag can name it. */
export interface ReadModelDb extends Database.Database {}

export class ReadModelDatabase extends Context.Service<ReadModelDatabase, ReadModelDb>()("@machhub/projections/ReadModelDatabase") {
  static readonly layer = (path: string): Layer.Layer<ReadModelDatabase> =>
    Layer.effect(
      ReadModelDatabase,
      Effect.acquireRelease(Effect.sync(() => openReadModelDatabase(path)), (db) => Effect.sync(() => db.close()))
    )
}
