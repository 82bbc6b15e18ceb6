import { Effect } from "effect"
import { text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { CommandRejected, uuidv7, type ActorRef, type CommandBusService, type CommandError, type CommandReply, type ExpectedVersion, type KnownCommand, type KnownCommandType, type PayloadOf, type ReplyOf } from "@machhub/core"
import type { ProjectionRunnerService } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { runPromise } from "../runtime.js"
import { commandErrorResponse } from "./commandErrors.js"
import { IDEMPOTENCY_KEY_PROBLEM, idempotencyKeyOf, isIdempotencyKey } from "./idempotency.js"

export interface CommandContext {
  readonly commands: CommandBusService
  readonly projections: ProjectionRunnerService
}

/**
 * One command as a route sends it. `type` and `payload` are one of the commands the aggregates
 * declare (`KnownCommand`, from their Schemas): a misspelt type or a payload of the wrong shape does
 * not compile, and the reply's `result` is typed by what that command's aggregate answers.
 */
export type CommandInput<C extends KnownCommand = KnownCommand> = C & CommandTarget

/**
 * What `runCommand` takes: the type is inferred from `type` alone, so `payload` is then checked
 * against that command's declared payload like any object literal (extra fields included).
 */
export type CommandOf<T extends KnownCommandType> = CommandTarget & { readonly type: T; readonly payload: PayloadOf<T> }

/** Where a command goes and on whose behalf: everything but its type and payload. */
export interface CommandTarget {
  readonly category: string
  readonly domain: string
  readonly aggregateId: string
  readonly actor: ActorRef
  readonly correlationId: string
  readonly expectedVersion?: ExpectedVersion
  /** The aggregate id was generated for this command (see Command.newAggregate). */
  readonly newAggregate?: boolean
  /**
   * The request's `Idempotency-Key` header as sent (routes pass `request.headers["idempotency-key"]`):
   * checked here (a malformed one is refused 400 before anything is dispatched), then carried by the
   * command so that a retry is answered with the first outcome (see ActorSystem).
   */
  readonly idempotencyKey?: string | undefined
}

/**
 * Dispatches one command and, once it is committed, waits (bounded) until this node's read models
 * have applied it, so the caller's next query sees its own write (SPEC §1 read-your-writes).
 */
export const runCommand = <T extends KnownCommandType>(
  context: CommandContext,
  input: CommandOf<T>
): Effect.Effect<CommandReply<ReplyOf<T>>, CommandError> => {
  const key = input.idempotencyKey
  if (key !== undefined && !isIdempotencyKey(key)) return Effect.fail(new CommandRejected({ reason: "invalid", message: IDEMPOTENCY_KEY_PROBLEM }))
  const answered: Effect.Effect<CommandReply, CommandError> = context.commands.dispatch({
    id: uuidv7(),
    type: input.type,
    category: input.category,
    domain: input.domain,
    aggregateId: input.aggregateId,
    actor: input.actor,
    payload: input.payload,
    correlationId: input.correlationId,
    ...(input.expectedVersion === undefined ? {} : { expectedVersion: input.expectedVersion }),
    ...(key === undefined ? {} : { idempotencyKey: key }),
    // A keyed creation's id derives from its key: a retry must find the stream the first try made.
    ...(input.newAggregate === true && key === undefined ? { newAggregate: true } : {})
  }).pipe(Effect.tap((reply) => context.projections.waitFor(reply.position)))
  // The aggregate that declares the command answered it: its result has that aggregate's reply type
  // (a cast, not a step of the program: this runs for every command a route sends).
  return answered as Effect.Effect<CommandReply<ReplyOf<T>>, CommandError>
}

/**
 * `ETag` (the stream version) and `App-Event-Position` on every mutation's answer (SPEC §1); those of
 * the first try when a retry with the same Idempotency-Key is answered again, marked
 * `Idempotent-Replayed: true`.
 */
export const mutationHeaders = (reply: CommandReply): Record<string, string> =>
  reply.replayed === true
    ? { ETag: `"${reply.version}"`, "App-Event-Position": String(reply.position), "Idempotent-Replayed": "true" }
    : { ETag: `"${reply.version}"`, "App-Event-Position": String(reply.position) }

/**
 * Runs a route's program and turns any command error into its HTTP answer. It runs with the server's
 * runtime (its services and logger), with logs annotated with the request's correlation id; see
 * `runtime.ts`.
 */
export const respond = (program: Effect.Effect<HttpResponse, CommandError>): Promise<HttpResponse> =>
  runPromise(program.pipe(Effect.catch((error: CommandError) => Effect.succeed(commandErrorResponse(error)))))

/** `If-Match: "<version>"` → the expected stream version; absent → undefined; unparsable → a 400. */
export const ifMatch = (request: HttpRequest): { ok: true; version: number | undefined } | { ok: false; response: HttpResponse } => {
  const header = request.headers["if-match"]
  if (header === undefined) return { ok: true, version: undefined }
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header)
  if (match === null) return { ok: false, response: text(400, 'If-Match must be a version as returned in ETag, e.g. "3"') }
  return { ok: true, version: Number(match[1]) }
}

/** A command's target as far as the request and its caller decide it: all but category and aggregate. */
export type CallerTarget = Omit<CommandTarget, "category" | "aggregateId" | "newAggregate">

/**
 * What every mutation route reads off its request before sending a command for the caller: the
 * active domain, the caller as actor, the correlation id, the `Idempotency-Key` and, for a route that
 * honours it (`versioned`), `If-Match` as the expected version. A malformed header answers 400 (If-Match
 * checked first) before anything is dispatched.
 */
export const callerTarget = (
  request: HttpRequest,
  principal: Principal,
  versioned: boolean
): { ok: true; target: CallerTarget } | { ok: false; response: HttpResponse } => {
  const expected = versioned ? ifMatch(request) : undefined
  if (expected !== undefined && !expected.ok) return expected
  const idempotency = idempotencyKeyOf(request)
  if (!idempotency.ok) return idempotency
  return {
    ok: true,
    target: {
      domain: principal.domain,
      actor: actorOf(principal),
      correlationId: request.correlationId,
      idempotencyKey: idempotency.key,
      ...(expected?.version === undefined ? {} : { expectedVersion: expected.version })
    }
  }
}
