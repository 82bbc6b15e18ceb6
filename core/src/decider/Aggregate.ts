import type { Effect } from "effect"
import type { Command } from "../commands/Command.js"
import type { CommandRejected } from "../commands/errors.js"
import type { DomainEvent } from "./Decider.js"

/** What the aggregate decided for one command: events to append and an answer for the caller. */
export interface Decision<E extends DomainEvent = DomainEvent> {
  readonly events: ReadonlyArray<E>
  readonly result?: unknown
}

/**
 * How the actor system drives one category of aggregates. `handle` is usually a pure decider lifted
 * into Effect (see `fromDecider`); it is an Effect so that a rule needing a port can still be expressed
 * without putting I/O inside the decider itself.
 */
export interface Aggregate<S = any, E extends DomainEvent = DomainEvent, R = never> {
  readonly category: string
  readonly initialState: () => S
  readonly evolve: (state: S, event: E) => S
  readonly handle: (command: Command, state: S) => Effect.Effect<Decision<E>, CommandRejected, R>
  /**
   * The answer `handle` gave for `command` when it produced `events`, given the state right after
   * them: lets the actor system answer a retried command (same idempotency key) exactly as the first
   * time without deciding again. Absent: the retry is answered without a result.
   */
  readonly replyFor?: (command: Command, state: S, events: ReadonlyArray<E>) => unknown
}
