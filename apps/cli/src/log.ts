import { openSqliteLogReader, type SqliteLogReader } from "@machhub/adapters/sqlite"
import { Effect, type Scope } from "effect"
import { failed, type CommandFailed } from "./errors.js"

/**
 * The event log, opened read-only for the life of the scope. Read-only is what lets export, tail and
 * verify run next to a live server: they never take SQLite's write lock.
 */
export const openLog = (path: string): Effect.Effect<SqliteLogReader, CommandFailed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({ try: () => openSqliteLogReader(path), catch: failed(`cannot open the event log ${path}`) }),
    (reader) => Effect.sync(() => reader.close())
  )
