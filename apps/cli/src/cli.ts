import { Effect } from "effect"
import { Command } from "effect/cli"
import { exportCommand } from "./commands/export.js"
import { replayCommand } from "./commands/replay.js"
import { tailCommand } from "./commands/tail.js"
import { verifyCommand } from "./commands/verify.js"
import { cliEnvironment } from "./runtime/environment.js"

export const version = "0.1.0"

export const machhub = Command.make("machhub").pipe(
  Command.withDescription(
    "Administer a MachHub data directory: rebuild and verify the read models, export and follow the event log. " +
      "Exit codes: 0 ok, 1 verify found differences, 2 bad arguments, 3 data directory in use by a server, 4 other failure, 130 interrupted."
  ),
  Command.withSubcommands([replayCommand, verifyCommand, exportCommand, tailCommand])
)

/** The whole CLI as one effect over explicit arguments (what follows `machhub` on the command line). */
export const runCli = (args: ReadonlyArray<string>) =>
  Command.runWith(machhub, { version })(args).pipe(Effect.provide(cliEnvironment))
