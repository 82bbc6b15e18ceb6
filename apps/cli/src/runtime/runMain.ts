import { Cause, Effect, Exit } from "effect"
import { CliError } from "effect/cli"
import { ExitCode, isCliFailure } from "../errors.js"

/** The process exit code for how the program ended, printing what the user needs to know on stderr. */
const settle = (exit: Exit.Exit<void, unknown>): number => {
  if (Exit.isSuccess(exit)) return ExitCode.ok
  if (Cause.hasInterruptsOnly(exit.cause)) return ExitCode.interrupted
  const error = Cause.squash(exit.cause)
  // effect/cli has already printed a bad invocation (see environment.ts), or the help asked for by
  // running `machhub` without a command.
  if (CliError.isCliError(error)) return ExitCode.usage
  if (isCliFailure(error)) {
    process.stderr.write(`machhub: ${error.message}\n`)
    return error.exitCode
  }
  process.stderr.write(`machhub: unexpected failure\n${Cause.pretty(exit.cause)}\n`)
  return ExitCode.failure
}

/**
 * Runs the CLI's program as the process's main fiber. Ctrl-C (SIGINT), SIGTERM or SIGHUP interrupts it, so
 * finalizers run (a replay removes its scratch file, a tail closes the log); a second Ctrl-C exits at
 * once. The exit code is set rather than forced with process.exit, so piped output is fully flushed.
 */
export const runMain = (program: Effect.Effect<void, unknown>): void => {
  const fiber = Effect.runFork(program)
  // A fiber that only waits on SQLite or a callback holds no timer of its own: keep the process alive.
  const keepAlive = setInterval(() => {}, 2 ** 30)
  let signalled = false
  const onSignal = () => {
    if (signalled) process.exit(ExitCode.interrupted)
    signalled = true
    fiber.interruptUnsafe()
  }
  // SIGHUP: the terminal went away; stop as cleanly as on Ctrl-C.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const
  for (const signal of signals) process.on(signal, onSignal)
  fiber.addObserver((exit) => {
    clearInterval(keepAlive)
    for (const signal of signals) process.off(signal, onSignal)
    process.exitCode = settle(exit)
  })
}
