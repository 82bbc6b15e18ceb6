import type Database from "better-sqlite3"
import { Worker } from "node:worker_threads"
import { removeDatabaseFiles } from "@machhub/projections"
import { Effect, type Scope } from "effect"
import { failed, type CommandFailed } from "../errors.js"
import { quoteName } from "./tables.js"

/**
 * Read models replayed on a worker thread, beside the others on the main one: a replay is otherwise
 * bound to one core, and SQLite lets one connection write a file at a time, so they are built in a
 * database of their own and copied in at the end. The audit index is the one that pays: one narrow
 * row for EVERY event of the log and four secondary indexes: applying its rows (11%) and building its
 * indexes (most of the 12% spent on index builds) were about a fifth of a single-threaded replay of
 * 300,000 generated events (CPU profile), and it needs nothing from the other read models. The thread
 * reads and decodes the log a second time, so this pays only with a core to spare: on a machine whose
 * cores are all busy a replay takes about as long either way (measured, load average 17 on 2 cores).
 */
export const SIDE_PROJECTIONS: ReadonlyArray<string> = ["audit"]

export interface SideReplayInput {
  readonly log: string
  readonly scratch: string
  readonly projections: ReadonlyArray<string>
  readonly upTo: number
  readonly batchSize: number
}

export type SideReplayMessage =
  | { readonly ok: true; readonly events: number; readonly position: number }
  | { readonly ok: false; readonly message: string }

/**
 * Starts the side replay and hands back the wait for its end. Leaving the scope stops the thread if it
 * still runs and removes its scratch database (after a copy, or after a failed or interrupted replay).
 */
export const startSideReplay = (input: SideReplayInput): Effect.Effect<Effect.Effect<void, CommandFailed>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const worker = yield* Effect.acquireRelease(
      Effect.sync(() => new Worker(new URL("./sideReplayWorker.js", import.meta.url), { workerData: input })),
      (worker) => Effect.promise(() => worker.terminate()).pipe(Effect.andThen(Effect.sync(() => removeDatabaseFiles(input.scratch))))
    )
    const done = new Promise<void>((resolve, reject) => {
      worker.once("message", (message: SideReplayMessage) => (message.ok ? resolve() : reject(new Error(message.message))))
      worker.once("error", reject)
      worker.once("exit", (code) => reject(new Error(`the thread stopped (exit code ${code}) before it finished`)))
    })
    // Observed now, so a failure while the main replay still runs is not an unhandled rejection.
    done.catch(() => undefined)
    return Effect.tryPromise({ try: () => done, catch: failed(`replaying ${input.projections.join(", ")} on a worker thread`) })
  })

/**
 * Copies the side database's tables (with their indexes) and checkpoints into `db`. Each table is
 * created from the side's own schema and filled by one `INSERT ... SELECT *` into it while it is empty,
 * which SQLite runs as a page-order transfer of rows and index entries, without re-sorting.
 */
export const mergeSideReplay = (db: Database.Database, scratch: string): void => {
  db.prepare("ATTACH DATABASE ? AS side").run(scratch)
  try {
    db.transaction(() => {
      const tables = db
        .prepare<[], string>("SELECT name FROM side.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'projection_checkpoints' ORDER BY name")
        .pluck()
        .all()
      const objects = db.prepare<[string], { type: string; sql: string }>(
        "SELECT type, sql FROM side.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid"
      )
      for (const table of tables) {
        const schema = objects.all(table)
        for (const object of schema) db.exec(object.sql)
        db.exec(`INSERT INTO main.${quoteName(table)} SELECT * FROM side.${quoteName(table)}`)
      }
      db.exec("INSERT OR REPLACE INTO main.projection_checkpoints (name, version, position) SELECT name, version, position FROM side.projection_checkpoints")
    })()
  } finally {
    db.exec("DETACH DATABASE side")
  }
}
