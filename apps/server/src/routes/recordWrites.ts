import { Effect } from "effect"
import { text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import type { CommandError, CommandReply, RecordReply } from "@machhub/core"
import type { RecordKey } from "../data/files/FileIndex.js"
import type { RecordFiles, WriteOutcome } from "../data/files/RecordFiles.js"
import type { RecordBody } from "../data/recordBody.js"
import { log } from "../log.js"
import type { EffectRunner } from "../runtime.js"
import { runFor } from "../runtime.js"
import { commandErrorResponse } from "./commandErrors.js"
import { respond } from "./runCommand.js"

export interface RecordWrite {
  readonly request: HttpRequest
  readonly record: RecordKey
  readonly body: Extract<RecordBody, { ok: true }>
  /** A refusal of the fields as they will be written (the collection's schema), or undefined. */
  readonly check: (data: Record<string, unknown>) => HttpResponse | undefined
  readonly write: (data: Record<string, unknown>) => Effect.Effect<CommandReply<RecordReply>, CommandError>
  readonly answer: (reply: CommandReply<RecordReply>) => HttpResponse
}

/** Whether the write's events are now in the log, surely not, or perhaps (see CommandError). */
const outcomeOf = (error: CommandError): WriteOutcome =>
  error._tag === "CommandRejected" || error._tag === "CommandUnavailable" ? "not-applied" : "unknown"

/**
 * Runs a record write whose body may carry files. Without files it is the plain write. With files,
 * their bytes are stored and filed before the write names them (so no logged version names a file
 * that is not there), and settled by the write's outcome: kept when it was applied, removed at once
 * when it was refused or changed nothing, left to the check at the next start when unknown.
 */
export const writeRecord = (files: RecordFiles, run: EffectRunner, write: RecordWrite): HttpResponse | Promise<HttpResponse> => {
  const { request, record, body } = write
  if (body.files.length === 0) {
    const problem = write.check(body.data)
    if (problem !== undefined) return problem
    return respond(write.write(body.data).pipe(Effect.map(write.answer)))
  }
  return (async () => {
    let staged
    try {
      staged = await files.stage(record, body.data, body.files)
    } catch (error) {
      log("error", "storing uploaded files failed", { correlationId: request.correlationId, error: error instanceof Error ? error.message : String(error) })
      return text(500, `The uploaded files could not be stored; nothing was changed (correlation id ${request.correlationId})`)
    }
    let outcome: WriteOutcome = "not-applied"
    try {
      const problem = write.check(staged.data)
      if (problem !== undefined) return problem
      outcome = "unknown"
      // After an await: run on this server's runner, logs annotated with the request (see runtime.ts).
      return await runFor(run, request.correlationId, write.write(staged.data).pipe(
        Effect.map((reply) => {
          // A replayed answer is the first try's: this request's files were not what it stored.
          outcome = reply.eventCount > 0 && reply.replayed !== true ? "applied" : "not-applied"
          return write.answer(reply)
        }),
        Effect.catch((error: CommandError) => {
          outcome = outcomeOf(error)
          return Effect.succeed(commandErrorResponse(error))
        })
      ))
    } finally {
      await files.settle(staged, outcome)
    }
  })()
}
