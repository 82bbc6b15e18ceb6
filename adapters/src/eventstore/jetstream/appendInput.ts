import { type EventStoreUnavailable, type ExpectedVersion, isExpectedVersion, type NewEvent } from "@machhub/core"
import { Predicate } from "effect"
import { invalid } from "./failures.js"

/** An append whose arguments have been checked; `events` are the caller's objects, unchanged. */
export interface ValidAppend {
  readonly stream: string
  readonly expected: ExpectedVersion
  readonly events: ReadonlyArray<NewEvent>
}

const isNonEmptyString = (value: unknown): value is string => Predicate.isString(value) && value.length > 0

/** Line breaks would end a NATS header (event ids travel as `Nats-Msg-Id`, KurrentDB wants UUIDs anyway). */
const hasLineBreak = (value: string): boolean => /[\r\n]/.test(value)

/**
 * Validates an append's arguments the way the SQLite adapter does, so that every adapter rejects the
 * same inputs (the contract suite checks it): a failure, never a throw, and nothing written.
 * Shared by the JetStream and KurrentDB adapters, which both encode the events afterwards.
 */
export const validateAppend = (
  stream: unknown,
  expected: unknown,
  events: unknown,
  maxEvents: number
): ValidAppend | EventStoreUnavailable => {
  if (!isNonEmptyString(stream)) return invalid("the stream name must be a non-empty string")
  if (!isExpectedVersion(expected)) {
    return invalid(`expected version must be "any", "no_stream", "exists" or an integer >= 0, got ${String(expected)}`)
  }
  if (!Array.isArray(events)) return invalid("events must be an array")
  if (events.length > maxEvents) {
    return invalid(`an append to stream ${stream} carries ${events.length} events; at most ${maxEvents} are allowed`)
  }
  const ids = new Set<string>()
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Partial<NewEvent> | null | undefined
    if (!Predicate.isObject(event)) return invalid(`event #${i} of stream ${stream} is not an object`)
    if (!isNonEmptyString(event.id)) return invalid(`event #${i} of stream ${stream} has no string id`)
    if (hasLineBreak(event.id)) return invalid(`event #${i} of stream ${stream} has a line break in its id`)
    if (!isNonEmptyString(event.type)) return invalid(`event ${event.id} of stream ${stream} has no string type`)
    if (!Predicate.isObject(event.meta)) return invalid(`event ${event.id} of stream ${stream} has no meta object`)
    if (ids.has(event.id)) return invalid(`event id ${event.id} appears twice in one append to stream ${stream}`)
    ids.add(event.id)
  }
  return { stream, expected, events: events as ReadonlyArray<NewEvent> }
}
