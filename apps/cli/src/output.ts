import { createWriteStream } from "node:fs"
import type { Writable } from "node:stream"
import { Data, Effect, type Scope } from "effect"
import { CommandFailed } from "./errors.js"

/** The reader went away (`machhub export | head`): not an error, the command just stops. */
export class OutputClosed extends Data.TaggedError("OutputClosed")<{}> {}

export interface Output {
  /** Writes a chunk; completes once the stream can take more (backpressure), so memory stays flat. */
  readonly write: (chunk: string) => Effect.Effect<void, OutputClosed | CommandFailed>
  readonly description: string
}

const isBrokenPipe = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === "EPIPE"

const wrap = (stream: Writable, description: string): Output => {
  let failure: unknown
  stream.on("error", (error) => {
    failure = error
  })
  const failWith = (error: unknown) =>
    isBrokenPipe(error) ? new OutputClosed() : new CommandFailed({ message: `writing to ${description} failed: ${String(error)}` })
  return {
    description,
    write: (chunk) =>
      Effect.callback<void, OutputClosed | CommandFailed>((resume) => {
        if (failure !== undefined) return resume(Effect.fail(failWith(failure)))
        if (stream.write(chunk)) return resume(Effect.void)
        const onDrain = () => {
          stream.off("error", onError)
          resume(Effect.void)
        }
        const onError = (error: unknown) => {
          stream.off("drain", onDrain)
          resume(Effect.fail(failWith(error)))
        }
        stream.once("drain", onDrain)
        stream.once("error", onError)
        return Effect.sync(() => {
          stream.off("drain", onDrain)
          stream.off("error", onError)
        })
      })
  }
}

/** stdout, or the file at `path` (replaced), flushed and closed with the scope. */
export const openOutput = (path: string | undefined): Effect.Effect<Output, CommandFailed, Scope.Scope> => {
  if (path === undefined || path === "-") return Effect.succeed(wrap(process.stdout, "stdout"))
  return Effect.acquireRelease(
    Effect.callback<Writable, CommandFailed>((resume) => {
      const stream = createWriteStream(path)
      stream.once("open", () => resume(Effect.succeed(stream)))
      stream.once("error", (error) => resume(Effect.fail(new CommandFailed({ message: `cannot write ${path}: ${error.message}` }))))
    }),
    (stream) =>
      Effect.callback<void>((resume) => {
        stream.end(() => resume(Effect.void))
      })
  ).pipe(Effect.map((stream) => wrap(stream, path)))
}
