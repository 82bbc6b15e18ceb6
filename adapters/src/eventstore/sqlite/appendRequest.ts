import {
  type AppendResult,
  type EventStoreUnavailable,
  type ExpectedVersion,
  isExpectedVersion,
  matchesExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedVersion
} from "@machhub/core"
import { Effect, Predicate } from "effect"
import { encode } from "./codec.js"
import { encodedBytes } from "./RecentEvents.js"
import { invalid } from "./failures.js"
import { type EncodedEvent, isDuplicateIdError, type Statements, type StoredRef } from "./statements.js"
import type { BatchHeads } from "./StreamHeads.js"

/** A validated append, waiting in the group-commit queue. */
export interface AppendRequest {
  readonly stream: string
  readonly expected: ExpectedVersion
  readonly events: ReadonlyArray<EncodedEvent>
  /** The events as given, handed to live subscribers once committed (see RecentEvents). */
  readonly originals: ReadonlyArray<NewEvent>
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
  const problem = appendProblem(stream, expected, events)
  if (problem !== undefined) return problem
  const encoded: Array<EncodedEvent> = []
  for (const event of events as ReadonlyArray<NewEvent>) {
    try {
      encoded.push({ id: event.id, type: event.type, data: encode(event.data), meta: encode(event.meta) })
    } catch (error) {
      return invalid(`event ${event.id} of stream ${stream} cannot be encoded: ${String(error)}`)
    }
  }
  return { stream: stream as string, expected: expected as ExpectedVersion, events: encoded, originals: events as ReadonlyArray<NewEvent> }
}

/** What is wrong with an append's arguments, before any encoding; undefined when nothing is. */
export const appendProblem = (stream: unknown, expected: unknown, events: unknown): EventStoreUnavailable | undefined => {
  if (!isNonEmptyString(stream)) return invalid("the stream name must be a non-empty string")
  if (!isExpectedVersion(expected)) {
    return invalid(`expected version must be "any", "no_stream", "exists" or an integer >= 0, got ${String(expected)}`)
  }
  if (!Array.isArray(events)) return invalid("events must be an array")
  const ids = new Set<string>()
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Partial<NewEvent> | null | undefined
    if (!Predicate.isObject(event)) return invalid(`event #${i} of stream ${stream} is not an object`)
    if (!isNonEmptyString(event.id)) return invalid(`event #${i} of stream ${stream} has no string id`)
    if (!isNonEmptyString(event.type)) return invalid(`event ${event.id} of stream ${stream} has no string type`)
    if (!Predicate.isObject(event.meta)) return invalid(`event ${event.id} of stream ${stream} has no meta object`)
    if (ids.has(event.id)) return invalid(`event id ${event.id} appears twice in one append to stream ${stream}`)
    ids.add(event.id)
  }
  return undefined
}

/** Bytes of binary data (Uint8Array fields at the top of `data`) an append carries: terminal output. */
export const binaryBytes = (events: unknown): number => {
  if (!Array.isArray(events)) return 0
  let bytes = 0
  for (const event of events) {
    const data = Predicate.isObject(event) ? (event as { data?: unknown }).data : undefined
    if (!Predicate.isObject(data)) continue
    for (const key in data) {
      const value = (data as Record<string, unknown>)[key]
      if (value instanceof Uint8Array) bytes += value.byteLength
    }
  }
  return bytes
}

/**
 * Applies one append inside the batch transaction. It either writes all of its events or none, so a
 * rejected request leaves the other requests of the batch unaffected. Reads go through the connection
 * that wrote the batch's earlier requests, so streams and ids they touched are seen as they now are.
 *
 * Idempotency: a retried append whose first attempt did commit must succeed again, with the original
 * result, even though its expectation may no longer hold. Ids are not looked up before inserting (that
 * was an extra index probe per event for a rare case): UNIQUE(id) detects a stored id on insert, and the
 * expectation failing is the other moment a retry can show up.
 */
export const applyAppend = (
  statements: Statements,
  heads: BatchHeads,
  request: AppendRequest,
  /** Receives the events this append recorded (only kept if the transaction commits). */
  recorded?: Array<RecordedEvent>
): AppendOutcome => {
  const { events, expected, stream } = request
  const head = heads.get(stream)
  const current = head.version
  if (!matchesExpectedVersion(expected, current)) {
    const stored = events.length > 0 ? statements.findById(events[0]!.id) : undefined
    if (stored !== undefined) return replay(statements, request, stored)
    return Effect.fail(new WrongExpectedVersion({ stream, expected, actual: current }))
  }
  if (events.length === 0) {
    return Effect.succeed({ version: current, firstPosition: head.position, position: head.position, duplicate: false })
  }
  try {
    const { firstPosition, position } = statements.insertEvents(stream, current, events)
    const version = current + events.length
    heads.set(stream, { version, position })
    if (recorded !== undefined) {
      for (let i = 0; i < request.originals.length; i++) {
        const original = request.originals[i]!
        const event: RecordedEvent = { id: original.id, type: original.type, data: original.data, meta: original.meta, stream, version: current + 1 + i, position: firstPosition + i }
        encodedBytes.set(event, (events[i]?.data?.length ?? 0) + (events[i]?.meta?.length ?? 0))
        recorded.push(event)
      }
    }
    return Effect.succeed({ version, firstPosition, position, duplicate: false })
  } catch (error) {
    if (!isDuplicateIdError(error)) throw error
    const stored = statements.findById(events[0]!.id)
    if (stored !== undefined) return replay(statements, request, stored)
    const clash = events.find((event) => statements.findById(event.id) !== undefined)!
    return Effect.fail(idReused(request, clash.id, statements.findById(clash.id)!))
  }
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
  return Effect.succeed({
    version: last.version,
    firstPosition: first.position,
    position: last.position,
    duplicate: true
  })
}

const idReused = (request: AppendRequest, id: string, stored: StoredRef): EventStoreUnavailable =>
  invalid(
    `event id ${id} (append to stream ${request.stream}) is already stored as version ${stored.version} of ` +
      `stream ${stored.stream}; an append must be either entirely new or an exact repeat of an earlier one`
  )
