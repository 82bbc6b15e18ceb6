import type { Effect } from "effect"
import type { Command } from "../commands/Command.js"
import type { CommandRejected } from "../commands/errors.js"
import type { RecordedEvent } from "../eventstore/EventEnvelope.js"
import type { Result } from "effect"
import type { DomainEvent } from "./Decider.js"
import type { AnyCommandSchema, AnyEventSchema, StoredEventInvalid } from "./Schemas.js"

/** What the aggregate decided for one command: events to append and an answer for the caller. */
export interface Decision<E extends DomainEvent = DomainEvent> {
  readonly events: ReadonlyArray<E>
  readonly result?: unknown
}

/**
 * How the actor system drives one category of aggregates. `handle` is usually a pure decider lifted
 * into Effect (see `fromDecider`); it is an Effect so that a rule needing a port can still be expressed
 * without putting I/O inside the decider itself.
 *
 * `C` is the union of the commands the aggregate declares (`{ type, ...payload }`, see Schemas.ts) and
 * `Reply` what it answers them: both only type the edge (`runCommand`), the actor system ignores them.
 */
export interface Aggregate<S = any, E extends DomainEvent = DomainEvent, R = never, C extends { readonly type: string } = { readonly type: string }, Reply = unknown> {
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
  /** The command Schemas `handle` decodes payloads by (absent for aggregates that check payloads themselves). */
  readonly commands?: ReadonlyArray<AnyCommandSchema>
  /** The event Schemas of what the aggregate records (also what the event catalog lists for its category). */
  readonly events?: ReadonlyArray<AnyEventSchema>
  /**
   * Turns a stored event into one `evolve` folds: upcasts old versions and decodes by `events`. The
   * actor system calls it on every event it reads from the store; absent, events are folded as read.
   */
  readonly decodeEvent?: (event: RecordedEvent) => Result.Result<E, StoredEventInvalid>
  /** Type-level only: what the aggregate's commands look like and answer (never set at run time). */
  readonly "~types"?: { readonly commands: C; readonly reply: Reply }
}
