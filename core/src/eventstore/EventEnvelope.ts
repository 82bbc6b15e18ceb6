import { Schema } from "effect"

/** Who caused a change: a user, an API key, an anonymous caller of a public resource, or the system itself. */
export type ActorKind = "user" | "key" | "anonymous" | "system"

export interface ActorRef {
  readonly kind: ActorKind
  readonly id: string
}

export const systemActor: ActorRef = { kind: "system", id: "system" }

export interface EventMeta {
  /** The tenant the event belongs to (also the `<domain>` of its stream and subject). */
  readonly domain: string
  /** Who caused it. */
  readonly actor: ActorRef
  /** The request's `App-CorrelationID`: every event and log line of one request shares it. */
  readonly correlationId: string
  /** What caused it: the command's id, or the event or command upstream of it; null when nothing did. */
  readonly causationId: string | null
  /** The command that decided it; null for events recorded without a command (a terminal recording). */
  readonly commandId: string | null
  /** ISO-8601 instant at which the event was decided. */
  readonly at: string
  /**
   * The `Idempotency-Key` of the request whose command decided it, when it sent one: the actor system
   * answers a later command with the same key from the same actor with this command's outcome.
   */
  readonly idempotencyKey?: string
}

/** An event as handed to the store: its id makes appends idempotent. */
export interface NewEvent {
  /** UUIDv7; unique in the log, so consumers de-duplicate by it (also the NATS `Nats-Msg-Id`). */
  readonly id: string
  /** The event type, e.g. `UserRegistered` (see the catalog for each type's data). */
  readonly type: string
  /** The event's facts; their shape is given by its type. */
  readonly data: unknown
  readonly meta: EventMeta
}

/** An event as the store recorded it: version is 1..n within its stream, position is global and monotonic. */
export interface RecordedEvent extends NewEvent {
  /** `<category>-<domain>-<id>`: the aggregate the event belongs to. */
  readonly stream: string
  /** 1..n within its stream. */
  readonly version: number
  /** Global order of the whole log (1..n); audit pages and resumable consumers count by it. */
  readonly position: number
}

/*
 * The same envelope as Schemas: the event catalog documents it from these (they must say what the
 * interfaces above say; the assertions below fail to compile when they drift apart).
 */
export const ActorKindSchema = Schema.Literals(["user", "key", "anonymous", "system"]).annotate({
  identifier: "ActorKind",
  description: "Who caused a change: a user, an API key, an anonymous caller of a public resource, or the system itself."
})

export const ActorRefSchema = Schema.Struct({ kind: ActorKindSchema, id: Schema.String }).annotate({ identifier: "ActorRef" })

export const EventMetaSchema = Schema.Struct({
  domain: Schema.String.annotate({ description: "The tenant the event belongs to (also the `<domain>` of its stream and subject)." }),
  actor: ActorRefSchema.annotate({ description: "Who caused it." }),
  correlationId: Schema.String.annotate({ description: "The request's `App-CorrelationID`: every event and log line of one request shares it." }),
  causationId: Schema.NullOr(Schema.String).annotate({
    description: "What caused it: the command's id, or the event or command upstream of it; null when nothing did."
  }),
  commandId: Schema.NullOr(Schema.String).annotate({
    description: "The command that decided it; null for events recorded without a command (a terminal recording)."
  }),
  at: Schema.String.annotate({ description: "ISO-8601 instant at which the event was decided." }),
  idempotencyKey: Schema.optionalKey(Schema.String).annotate({
    description:
      "The `Idempotency-Key` of the request whose command decided it, when it sent one: the actor system answers a later command with the same key from the same actor with this command's outcome."
  })
}).annotate({ identifier: "EventMeta" })

export const RecordedEventSchema = Schema.Struct({
  stream: Schema.String.annotate({ description: "`<category>-<domain>-<id>`: the aggregate the event belongs to." }),
  version: Schema.Number.annotate({ description: "1..n within its stream." }),
  position: Schema.Number.annotate({ description: "Global order of the whole log (1..n); audit pages and resumable consumers count by it." }),
  id: Schema.String.annotate({ description: "UUIDv7; unique in the log, so consumers de-duplicate by it (also the NATS `Nats-Msg-Id`)." }),
  type: Schema.String.annotate({ description: "The event type, e.g. `UserRegistered` (see the catalog for each type's data)." }),
  data: Schema.Unknown.annotate({ description: "The event's facts; their shape is given by its type." }),
  meta: EventMetaSchema
})

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const same = <T extends true>(_: T) => undefined
same<Same<typeof ActorRefSchema.Type, ActorRef>>(true)
same<Same<typeof EventMetaSchema.Type, EventMeta>>(true)
same<Same<typeof RecordedEventSchema.Type, RecordedEvent>>(true)
