import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { dataDirFiles } from "@machhub/adapters/sqlite"
import { Effect } from "effect"
import { CommandFailed } from "./errors.js"

/** The files of a server's data directory that the CLI works on. */
export interface DataDir {
  readonly dir: string
  readonly events: string
  readonly readModels: string
}

/** Resolves `--data-dir`; fails (exit 4) unless it holds an event log. */
export const locateDataDir = (dir: string): Effect.Effect<DataDir, CommandFailed> =>
  Effect.suspend(() => {
    const absolute = resolve(dir)
    const events = join(absolute, dataDirFiles.events)
    if (!existsSync(events)) {
      return Effect.fail(
        new CommandFailed({ message: `no event log at ${events} (is --data-dir, or MACHHUB_DATA_DIR, the server's data directory?)` })
      )
    }
    return Effect.succeed({ dir: absolute, events, readModels: join(absolute, dataDirFiles.readModels) })
  })
