import type { ActorRef } from "../eventstore/EventEnvelope.js"
import type { ExpectedVersion } from "../eventstore/ExpectedVersion.js"

/**
 * A request to change one aggregate. It names its target by category, domain and aggregate id; the
 * stream is `<category>-<domain>-<aggregateId>` and the bus subject `mh.cmd.<domain>.<category>`.
 */
export interface Command<P = unknown> {
  readonly id: string
  readonly type: string
  readonly category: string
  readonly domain: string
  readonly aggregateId: string
  readonly actor: ActorRef
  readonly payload: P
  readonly expectedVersion?: ExpectedVersion
  /**
   * The caller's `Idempotency-Key`. It is recorded in the meta of the events the command appends; a
   * later command to the same aggregate with the same key from the same actor is answered with that
   * earlier outcome, without deciding again (see ActorSystem).
   */
  readonly idempotencyKey?: string
  readonly correlationId: string
  readonly causationId?: string
  /**
   * The sender just generated this aggregate id, so its stream cannot exist yet: the actor starts from
   * the empty state without reading the store. Safe either way: if the stream did exist, the append's
   * version check fails and the actor reloads.
   */
  readonly newAggregate?: boolean
}

/**
 * What a handled command answers: where its events landed and what the aggregate chose to tell the
 * caller (`Result`: the aggregate's reply type, see `ReplyOf`).
 */
export interface CommandReply<Result = unknown> {
  readonly stream: string
  /** Stream version after the command (unchanged when it produced no events). */
  readonly version: number
  /** Global position of the command's last event, or the stream's known position when it produced none. */
  readonly position: number
  readonly eventCount: number
  readonly result: Result
  /** When the command's events were decided (their `meta.at`); absent when it produced none. */
  readonly at?: string
  /** True when this is the earlier outcome of a command with the same idempotency key, answered again. */
  readonly replayed?: boolean
}
