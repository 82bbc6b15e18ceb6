/** Who caused a change: a user, an API key, an anonymous caller of a public resource, or the system itself. */
export type ActorKind = "user" | "key" | "anonymous" | "system"

export interface ActorRef {
  readonly kind: ActorKind
  readonly id: string
}

export const systemActor: ActorRef = { kind: "system", id: "system" }

export interface EventMeta {
  readonly domain: string
  readonly actor: ActorRef
  readonly correlationId: string
  readonly causationId: string | null
  readonly commandId: string | null
  /** ISO-8601 instant at which the event was decided. */
  readonly at: string
}

/** An event as handed to the store: its id makes appends idempotent. */
export interface NewEvent {
  readonly id: string
  readonly type: string
  readonly data: unknown
  readonly meta: EventMeta
}

/** An event as the store recorded it: version is 1..n within its stream, position is global and monotonic. */
export interface RecordedEvent extends NewEvent {
  readonly stream: string
  readonly version: number
  readonly position: number
}
