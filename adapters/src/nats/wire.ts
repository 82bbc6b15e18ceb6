import {
  type Command,
  CommandFailed,
  CommandOutcomeUnknown,
  CommandRejected,
  type CommandReply,
  CommandUnavailable,
  type CommandError,
  type RecordedEvent
} from "@machhub/core"
import { Schema } from "effect"

/**
 * Schemas of what crosses NATS. Everything arriving from the wire is decoded through these: a
 * message from another process (or from anything else that can publish) is untrusted input.
 */

const ActorRefSchema = Schema.Struct({
  kind: Schema.Literals(["user", "key", "anonymous", "system"]),
  id: Schema.String
})

const ExpectedVersionSchema = Schema.Union([
  Schema.Literals(["any", "no_stream", "exists"]),
  Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
])

export const CommandSchema = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  category: Schema.String,
  domain: Schema.String,
  aggregateId: Schema.String,
  actor: ActorRefSchema,
  payload: Schema.Unknown,
  expectedVersion: Schema.optional(ExpectedVersionSchema),
  idempotencyKey: Schema.optional(Schema.String),
  correlationId: Schema.String,
  causationId: Schema.optional(Schema.String),
  // Without it the receiving actor reads (and then caches) every freshly generated aggregate's stream.
  newAggregate: Schema.optional(Schema.Boolean)
})

const CommandReplySchema = Schema.Struct({
  stream: Schema.String,
  version: Schema.Number,
  position: Schema.Number,
  eventCount: Schema.Number,
  result: Schema.Unknown,
  at: Schema.optional(Schema.String),
  replayed: Schema.optional(Schema.Boolean)
})

/** The core error classes, encoded as `{ _tag, ...fields }`. */
export const CommandErrorSchema = Schema.Union([CommandRejected, CommandUnavailable, CommandOutcomeUnknown, CommandFailed])

/** The body of every reply on `mh.cmd.*.*`. */
export const CommandResponseSchema = Schema.Union([
  Schema.Struct({ ok: Schema.Literal(true), reply: CommandReplySchema }),
  Schema.Struct({ ok: Schema.Literal(false), error: CommandErrorSchema })
])

export type CommandResponse = typeof CommandResponseSchema.Type

export const okResponse = (reply: CommandReply) => ({ ok: true as const, reply })

export const errorResponse = (error: CommandError) => ({
  ok: false as const,
  error: Schema.encodeSync(CommandErrorSchema)(error)
})

export const RecordedEventSchema = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  data: Schema.Unknown,
  meta: Schema.Struct({
    domain: Schema.String,
    actor: ActorRefSchema,
    correlationId: Schema.String,
    causationId: Schema.NullOr(Schema.String),
    commandId: Schema.NullOr(Schema.String),
    at: Schema.String,
    idempotencyKey: Schema.optional(Schema.String)
  }),
  stream: Schema.String,
  version: Schema.Number,
  position: Schema.Number
})

// Compile-time checks that the wire shapes stay assignable to core's types.
const _command: (c: typeof CommandSchema.Type) => Command = (c) => c
const _event: (e: typeof RecordedEventSchema.Type) => RecordedEvent = (e) => e
void _command
void _event
