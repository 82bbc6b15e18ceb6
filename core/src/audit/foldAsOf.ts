import { Result } from "effect"
import type { Aggregate } from "../decider/Aggregate.js"
import type { StoredEventInvalid } from "../decider/Schemas.js"
import type { RecordedEvent } from "../eventstore/EventEnvelope.js"

/** A moment in the log: a global position (inclusive), or a wall-clock instant (ms since the epoch, inclusive). */
export type AsOf =
  | { readonly kind: "position"; readonly position: number }
  | { readonly kind: "time"; readonly at: number }

/** An aggregate's state as it was at some moment, with the facts a read view shows beside it. */
export interface StateAsOf<S> {
  readonly state: S
  /** The events folded (a prefix of the stream). */
  readonly events: ReadonlyArray<RecordedEvent>
  /** Time of the first event. */
  readonly createdAt: string
  /** Time and version of the last event that changed the state (what read models report). */
  readonly updatedAt: string
  readonly version: number
  /** Stream version and position of the last folded event (changing the state or not). */
  readonly streamVersion: number
  readonly position: number
}

const within = (event: RecordedEvent, asOf: AsOf): boolean =>
  asOf.kind === "position" ? event.position <= asOf.position : Date.parse(event.meta.at) <= asOf.at

/**
 * Folds a stream (in version order) up to `asOf` with the aggregate's own `evolve`: the state the
 * aggregate itself had then. The cut is a prefix of the stream, so the state is always one the
 * aggregate really went through, even should a clock step back make a later event look older.
 * `undefined` when the stream had no event yet. Each event is decoded by the aggregate's event Schemas
 * first (after its upcast), as the actor system does: an event that does not decode fails the fold
 * rather than showing a state nobody can vouch for.
 *
 * An event "changed the state" when `evolve` returned a new object for it (deciders return the same
 * state for facts they only record, such as a login), so `version` and `updatedAt` match what the read
 * models report for the same moment.
 */
export const foldAsOf = <S>(
  aggregate: Pick<Aggregate<S, any>, "initialState" | "evolve" | "decodeEvent">,
  events: ReadonlyArray<RecordedEvent>,
  asOf: AsOf
): Result.Result<StateAsOf<S> | undefined, StoredEventInvalid> => {
  let count = 0
  while (count < events.length && within(events[count]!, asOf)) count++
  if (count === 0) return Result.succeed(undefined)
  const folded = events.slice(0, count)
  const decode = aggregate.decodeEvent
  let state = aggregate.initialState()
  let changed = folded[0]!
  for (const event of folded) {
    let decoded: unknown = event
    if (decode !== undefined) {
      const result = decode(event)
      if (Result.isFailure(result)) return result
      decoded = result.success
    }
    const next = aggregate.evolve(state, decoded)
    if (next !== state) changed = event
    state = next
  }
  const last = folded[count - 1]!
  return Result.succeed({
    state,
    events: folded,
    createdAt: folded[0]!.meta.at,
    updatedAt: changed.meta.at,
    version: changed.version,
    streamVersion: last.version,
    position: last.position
  })
}
