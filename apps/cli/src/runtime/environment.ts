import { Console, Effect, FileSystem, Layer, Path, Stdio, Terminal } from "effect"
import { CliConfig, CliOutput, GlobalFlag } from "effect/cli"
import { ChildProcessSpawner } from "effect/process"

/**
 * What `effect/cli` needs to run a command, provided for Node 20 without `@effect/platform-node`
 * (which declares Node >= 22.19). The commands parse arguments and print help only: they read files
 * through their own modules, never through these services, so the file system and process spawner are
 * stubs that fail loudly if ever used.
 */
const services = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Stdio.layerTest({}),
  Layer.succeed(
    Terminal.Terminal,
    Terminal.make({
      columns: Effect.sync(() => process.stdout.columns ?? 100),
      rows: Effect.sync(() => process.stdout.rows ?? 24),
      size: Effect.die("the terminal size is not used by this CLI"),
      readInput: Effect.die("terminal input is not used by this CLI"),
      readLine: Effect.die("terminal input is not used by this CLI"),
      display: (text) => Effect.sync(() => void process.stdout.write(text))
    })
  ),
  Layer.succeed(
    ChildProcessSpawner.ChildProcessSpawner,
    ChildProcessSpawner.make(() => Effect.die("this CLI spawns no process"))
  )
)

/**
 * Help and version on stdout; a bad invocation gets a short message on stderr instead of the whole
 * help (which would otherwise land on stdout, where `export` writes its NDJSON).
 */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function*() {
      const formatter = yield* CliOutput.Formatter
      switch (event._tag) {
        case "Help":
          return yield* Console.log(formatter.formatHelpDoc(event.helpDoc))
        case "Version":
          return yield* Console.log(formatter.formatVersion(event.name, event.version))
        case "InvalidInvocation": {
          const command = event.commandPath.join(" ")
          const reasons = event.errors.map((error) => error.message).join("\n")
          return yield* Console.error(`${command}: ${reasons}\nRun "${command} --help" for usage.`)
        }
      }
    })
}

export const cliEnvironment = Layer.mergeAll(
  services,
  CliOutput.layerPresenter(presenter),
  // Only --help and --version: wizard mode, shell completions and --log-level mean nothing here.
  CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] })
)
