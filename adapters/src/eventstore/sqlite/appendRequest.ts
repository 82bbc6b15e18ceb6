import {
  type AppendResult,
  type EventStoreUnavailable,
  type ExpectedVersion,
  isExpectedVersion,
  matchesExpectedVersion,
  type NewEvent,
  WrongExpectedVersion
} from "@machhub/core"
import { Effect, Predicate } from "effect"
import { encode } from "./codec.js"
import { invalid } from "./failures.js"
import type { Statements, StoredRef } from "./statements.js"

/** An event ready for the database: `data` and `meta` already encoded. */
export interface EncodedEvent {
  readonly id: string
  readonly type: string
  readonly data: Buffer
  readonly meta: Buffer
}

/** A validated append, waiting in the group-commit queue. */
export interface AppendRequest {
  readonly stream: string
  readonly expected: ExpectedVersion
  readonly events: ReadonlyArray<EncodedEvent>
}

export type AppendOutcome = Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable>

const isNonEmptyString = (value: unknown): value is string => Predicate.isString(value) && value.length > 0

/**
 * Validates and encodes an append in the caller's fiber, before it joins a batch: bad input fails only
 * its own caller, and encoding stays out of the write transaction, which is the store's bottleneck.
 */
export const prepareAppend = (
  stream: unknown,
  expected: unknown,
  events: unknown
): AppendRequest | EventStoreUnavailable => {
  if (!isNonEmptyString(stream)) return invalid("the stream name must be a non-empty string")
  if (!isExpectedVersion(expected)) {
    return invalid(`expected version must be "any", "no_stream", "exists" or an integer >= 0, got ${String(expected)}`)
  }
  if (!Array.isArray(events)) return invalid("events must be an array")
  const encoded: Array<EncodedEvent> = []
  const ids = new Set<string>()
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Partial<NewEvent> | null | undefined
    if (!Predicate.isObject(event)) return invalid(`event #${i} of stream ${stream} is not an object`)
    if (!isNonEmptyString(event.id)) return invalid(`event #${i} of stream ${stream} has no string id`)
    if (!isNonEmptyString(event.type)) return invalid(`event ${event.id} of stream ${stream} has no string type`)
    if (!Predicate.isObject(event.meta)) return invalid(`event ${event.id} of stream ${stream} has no meta object`)
    if (ids.has(event.id)) return invalid(`event id ${event.id} appears twice in one append to stream ${stream}`)
    ids.add(event.id)
    try {
      encoded.push({ id: event.id, type: event.type, data: encode(event.data), meta: encode(event.meta) })
    } catch (error) {
      return invalid(`event ${event.id} of stream ${stream} cannot be encoded: ${String(error)}`)
    }
  }
  return { stream, expected, events: encoded }
}

/**
 * Applies one append inside the batch transaction. Every check runs before the first insert, so a
 * rejected request writes nothing and the other requests of the batch are unaffected. Reads go through
 * the same connection as the batch's earlier inserts, so streams and ids touched earlier in the batch are
 * seen as they now are.
 */
export const applyAppend = (statements: Statements, request: AppendRequest): AppendOutcome => {
  const { events, expected, stream } = request
  if (events.length > 0) {
    // Idempotency comes before the version check: a retried append whose first attempt did commit
    // must succeed again even though the stream has moved on.
    const stored = statements.findById(events[0]!.id)
    if (stored !== undefined) return replay(statements, request, stored)
    for (let i = 1; i < events.length; i++) {
      const other = statements.findById(events[i]!.id)
      if (other !== undefined) return Effect.fail(idReused(request, events[i]!.id, other))
    }
  }
  const head = statements.streamHead(stream)
  const current = head?.version ?? 0
  if (!matchesExpectedVersion(expected, current)) {
    return Effect.fail(new WrongExpectedVersion({ stream, expected, actual: current }))
  }
  if (events.length === 0) {
    const position = head?.position ?? 0
    return Effect.succeed({ version: current, firstPosition: position, position, duplicate: false })
  }
  let firstPosition = 0
  let position = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    position = statements.insert(event.id, stream, current + i + 1, event.type, event.data, event.meta)
    if (i === 0) firstPosition = position
  }
  return Effect.succeed({ version: current + events.length, firstPosition, position, duplicate: false })
}

/** The append was already committed: answer with what it got then, provided it is the same append. */
const replay = (statements: Statements, request: AppendRequest, first: StoredRef): AppendOutcome => {
  const { events, stream } = request
  if (first.stream !== stream) return Effect.fail(idReused(request, events[0]!.id, first))
  let last = first
  for (let i = 1; i < events.length; i++) {
    const ref = statements.findById(events[i]!.id)
    if (ref === undefined || ref.stream !== stream || ref.version !== first.version + i) {
      return Effect.fail(invalid(
        `append to stream ${stream} repeats some event ids of an earlier append but not all of them, in order`
      ))
    }
    last = ref
  }
  return Effect.succeed({ version: last.version, firstPosition: first.position, position: last.position, duplicate: true })
}

const idReused = (request: AppendRequest, id: string, stored: StoredRef): EventStoreUnavailable =>
  invalid(
    `event id ${id} (append to stream ${request.stream}) is already stored as version ${stored.version} of ` +
      `stream ${stored.stream}; an append must be either entirely new or an exact repeat of an earlier one`
  )
