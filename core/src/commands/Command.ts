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

/** What a handled command answers: where its events landed and what the aggregate chose to tell the caller. */
export interface CommandReply {
  readonly stream: string
  /** Stream version after the command (unchanged when it produced no events). */
  readonly version: number
  /** Global position of the command's last event, or the stream's known position when it produced none. */
  readonly position: number
  readonly eventCount: number
  readonly result: unknown
  /** When the command's events were decided (their `meta.at`); absent when it produced none. */
  readonly at?: string
}
