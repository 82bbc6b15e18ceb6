import { acquireDataDirLock, describeLockHolder } from "@machhub/adapters/sqlite"
import { Effect, type Scope } from "effect"
import { DataDirBusy, failed, type CommandFailed } from "./errors.js"

/**
 * Holds the data directory's lock (the one a running server holds) for the life of the scope, or fails
 * with exit code 3 naming who holds it.
 */
export const holdDataDir = (
  dir: string,
  command: string,
  force: boolean
): Effect.Effect<void, DataDirBusy | CommandFailed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({ try: () => acquireDataDirLock(dir, command, { force }), catch: failed(`cannot lock ${dir}`) }).pipe(
      Effect.flatMap((outcome) =>
        outcome.acquired
          ? Effect.succeed(outcome)
          : Effect.fail(
            new DataDirBusy({
              message: `refusing to ${command}: ${dir} is in use by ${describeLockHolder(outcome.holder)}. ` +
                `Stop it first; the read models must not change under a server. ` +
                `(--force takes the lock anyway, e.g. from a server on another host that is known to be gone.)`
            })
          )
      )
    ),
    (outcome) => Effect.sync(() => outcome.release())
  ).pipe(Effect.asVoid)
