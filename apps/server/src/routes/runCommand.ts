import { Effect } from "effect"
import { text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { uuidv7, type ActorRef, type CommandBusService, type CommandError, type CommandReply, type ExpectedVersion } from "@machhub/core"
import type { ProjectionRunnerService } from "@machhub/projections"
import { commandErrorResponse } from "./commandErrors.js"

export interface CommandContext {
  readonly commands: CommandBusService
  readonly projections: ProjectionRunnerService
}

export interface CommandInput {
  readonly type: string
  readonly category: string
  readonly domain: string
  readonly aggregateId: string
  readonly payload: unknown
  readonly actor: ActorRef
  readonly correlationId: string
  readonly expectedVersion?: ExpectedVersion
  /** The aggregate id was generated for this command (see Command.newAggregate). */
  readonly newAggregate?: boolean
}

/**
 * Dispatches one command and, once it is committed, waits (bounded) until this node's read models
 * have applied it, so the caller's next query sees its own write (SPEC §1 read-your-writes).
 */
export const runCommand = (context: CommandContext, input: CommandInput): Effect.Effect<CommandReply, CommandError> =>
  context.commands.dispatch({
    id: uuidv7(),
    type: input.type,
    category: input.category,
    domain: input.domain,
    aggregateId: input.aggregateId,
    actor: input.actor,
    payload: input.payload,
    correlationId: input.correlationId,
    ...(input.expectedVersion === undefined ? {} : { expectedVersion: input.expectedVersion }),
    ...(input.newAggregate === true ? { newAggregate: true } : {})
  }).pipe(Effect.tap((reply) => context.projections.waitFor(reply.position)))

/** `ETag` (the stream version) and `App-Event-Position` on every mutation's answer (SPEC §1). */
export const mutationHeaders = (reply: CommandReply): Record<string, string> => ({
  ETag: `"${reply.version}"`,
  "App-Event-Position": String(reply.position)
})

/** Runs a route's program and turns any command error into its HTTP answer. */
export const respond = (program: Effect.Effect<HttpResponse, CommandError>): Promise<HttpResponse> =>
  Effect.runPromise(program.pipe(Effect.catch((error: CommandError) => Effect.succeed(commandErrorResponse(error)))))

/** `If-Match: "<version>"` → the expected stream version; absent → undefined; unparsable → a 400. */
export const ifMatch = (request: HttpRequest): { ok: true; version: number | undefined } | { ok: false; response: HttpResponse } => {
  const header = request.headers["if-match"]
  if (header === undefined) return { ok: true, version: undefined }
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header)
  if (match === null) return { ok: false, response: text(400, 'If-Match must be a version as returned in ETag, e.g. "3"') }
  return { ok: true, version: Number(match[1]) }
}
