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
