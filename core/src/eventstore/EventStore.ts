import { Context, type Effect, type Stream } from "effect"
import type { NewEvent, RecordedEvent } from "./EventEnvelope.js"
import type { EventStoreUnavailable, WrongExpectedVersion } from "./errors.js"
import type { ExpectedVersion } from "./ExpectedVersion.js"

export interface AppendResult {
  /** The stream's version after the append (the version of its last event). */
  readonly version: number
  /** Global position of the first and last appended event. */
  readonly firstPosition: number
  readonly position: number
  /** True when these event ids were already stored: nothing new was appended. */
  readonly duplicate: boolean
}

/**
 * The event store port. Every adapter (SQLite, JetStream, KurrentDB) passes the contract suite in
 * `test/contracts/event-store.contract.ts`.
 *
 * Positions and versions start at 1; `from` arguments are inclusive.
 */
export interface EventStoreService {
  /** Atomically appends all events to one stream, or none of them. Idempotent on event ids. */
  append(
    stream: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>
  ): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable>
  /**
   * The stream's events with version >= fromVersion, in order; at most `limit` of them when given (so a
   * long stream, such as a terminal recording, can be read in bounded pieces).
   */
  readStream(stream: string, fromVersion?: number, limit?: number): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable>
  /** Up to `limit` events of the global log with position >= fromPosition, in order. */
  readAll(fromPosition: number, limit: number): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable>
  /** Position of the last committed event (0 for an empty store). */
  readonly headPosition: Effect.Effect<number, EventStoreUnavailable>
  /** Catch-up from `fromPosition`, then live, with no gap and no duplicate at the switch. Never ends by itself. */
  subscribe(fromPosition: number): Stream.Stream<RecordedEvent, EventStoreUnavailable>
}

export class EventStore extends Context.Service<EventStore, EventStoreService>()("@machhub/core/EventStore") {}
