import { Data } from "effect"

/**
 * Exit codes, documented in `machhub --help` and the README:
 * 0 done; 1 `verify` found differences; 2 bad arguments; 3 the data directory is in use by a server
 * (or another replay); 4 any other failure (missing or unreadable files, I/O); 130 interrupted (Ctrl-C).
 */
export const ExitCode = {
  ok: 0,
  differences: 1,
  usage: 2,
  busy: 3,
  failure: 4,
  interrupted: 130
} as const

/** Arguments that parse but make no sense (a negative position, an unreadable date, ...). */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {
  readonly exitCode = ExitCode.usage
}

/** Another process holds the data directory's lock. */
export class DataDirBusy extends Data.TaggedError("DataDirBusy")<{ readonly message: string }> {
  readonly exitCode = ExitCode.busy
}

/** `verify` found read models that differ from a replay; the differences were already printed. */
export class ReadModelsDiffer extends Data.TaggedError("ReadModelsDiffer")<{ readonly message: string }> {
  readonly exitCode = ExitCode.differences
}

/** Anything else that stops a command: a missing file, SQLite failing, a projection throwing. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly message: string }> {
  readonly exitCode = ExitCode.failure
}

export type CliFailure = UsageError | DataDirBusy | ReadModelsDiffer | CommandFailed

export const isCliFailure = (error: unknown): error is CliFailure =>
  error instanceof UsageError || error instanceof DataDirBusy || error instanceof ReadModelsDiffer || error instanceof CommandFailed

/** Turns a thrown value into a CommandFailed that says what was being done. */
export const failed = (context: string) => (cause: unknown): CommandFailed =>
  new CommandFailed({ message: `${context}: ${cause instanceof Error ? cause.message : String(cause)}` })
