import type { Result } from "effect"
import type { CommandRejected } from "../commands/errors.js"

/** A domain event before it is stored: what happened (`type`) and its facts (`data`). */
export interface DomainEvent<T extends string = string, D = unknown> {
  readonly type: T
  readonly data: D
}

/**
 * The pure heart of an aggregate (Emmett's decider): `decide` turns a command and the current state
 * into new events or a rejection; `evolve` folds one event into the state. No I/O, no clock, no
 * randomness: whatever a decision needs arrives in the command.
 */
export interface Decider<S, C, E extends DomainEvent> {
  readonly initialState: () => S
  readonly evolve: (state: S, event: E) => S
  readonly decide: (command: C, state: S) => Result.Result<ReadonlyArray<E>, CommandRejected>
}

/** Folds a history of events into state. */
export const fold = <S, E extends DomainEvent>(decider: Pick<Decider<S, never, E>, "initialState" | "evolve">, events: Iterable<E>): S => {
  let state = decider.initialState()
  for (const event of events) state = decider.evolve(state, event)
  return state
}
