/**
 * Pure conversions between the EventStore port and KurrentDB's client types. Kept apart from the I/O so
 * they are unit-tested without a server (test/eventstore/kurrentdb-mapping.test.ts).
 */
import {
  EventStoreUnavailable,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedVersion
} from "@machhub/core"
import {
  ANY,
  type AllStreamResolvedEvent,
  type AppendStreamState,
  binaryEvent,
  type CurrentStreamState,
  type EventData,
  jsonEvent,
  NO_STREAM,
  type Position,
  type ResolvedEvent,
  STREAM_EXISTS,
  WrongExpectedVersionError
} from "@kurrent/kurrentdb-client"
import { Predicate } from "effect"
import { decodeMsgpack, encodeMsgpack } from "../../nats/codec.js"

// ---- expected versions -------------------------------------------------------------------------
// The port counts versions 1..n (0 = empty stream); KurrentDB counts revisions 0..n-1.

export const streamStateOf = (expected: ExpectedVersion): AppendStreamState => {
  switch (expected) {
    case "any":
      return ANY
    case "no_stream":
      return NO_STREAM
    case "exists":
      return STREAM_EXISTS
    default:
      return expected === 0 ? NO_STREAM : BigInt(expected - 1)
  }
}

export const versionOfRevision = (revision: bigint): number => Number(revision) + 1

/** The version a conflict reports: 0 when KurrentDB says the stream does not exist. */
export const versionOfState = (state: CurrentStreamState): number => (state === NO_STREAM ? 0 : versionOfRevision(state))

// ---- positions ---------------------------------------------------------------------------------
/**
 * KurrentDB positions are byte offsets into its log (commit = prepare for every event not written in
 * an explicit transaction, which this adapter never uses). A read must START at a record boundary:
 * an offset inside a record is an error. Callers of the port resume at `position` (inclusive) or at
 * `position + 1` (after an event they have seen), so both must map to a boundary. Hence:
 *
 *   port position of an event at commit c = 2c + 1 (odd)
 *   odd  p = 2c + 1 → read from c, inclusive (that event and the ones after it)
 *   even p = 2c + 2 → read from c, exclusive (the events after it)
 *
 * Positions stay increasing and unique; like JetStream's they are not contiguous.
 */
export const portPositionOf = (position: Position): number => Number(position.commit) * 2 + 1

export type ReadStart =
  | { readonly kind: "start" }
  | { readonly kind: "at"; readonly position: Position }
  | { readonly kind: "after"; readonly position: Position }

export const readStartOf = (fromPosition: number): ReadStart => {
  if (fromPosition <= 1) return { kind: "start" }
  const commit = BigInt(Math.floor((fromPosition - 1) / 2))
  return { kind: fromPosition % 2 === 1 ? "at" : "after", position: { commit, prepare: commit } }
}

/** Whether an event at `position` belongs to a read that starts at `start`. */
export const isAtOrAfterStart = (start: ReadStart, position: Position): boolean =>
  start.kind === "start" || (start.kind === "at" ? position.commit >= start.position.commit : position.commit > start.position.commit)

// ---- events ------------------------------------------------------------------------------------
/**
 * Marks the first event of each append attempt in its metadata. KurrentDB answers an idempotent
 * repeat (same event ids) with success and no flag, so the adapter reads the append back: a marker
 * other than its own means an earlier attempt wrote those events (`duplicate: true`). Stripped on read.
 */
export const ATTEMPT_KEY = "mhAppendAttempt"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (id: string): boolean => UUID.test(id)

const containsBytes = (value: unknown, depth = 0): boolean => {
  if (value instanceof Uint8Array) return true
  if (value === null || typeof value !== "object" || depth > 32) return false
  return Object.values(value).some((item) => containsBytes(item, depth + 1))
}

/**
 * JSON (readable in KurrentDB's UI and by its projections) when the data is a JSON object or array
 * without bytes; otherwise (a terminal's output chunks, a bare scalar) MessagePack in a binary event.
 * Metadata is always the event's `meta` as JSON.
 */
export const toEventData = (event: NewEvent, attempt?: string): EventData => {
  const metadata = attempt === undefined ? { ...event.meta } : { ...event.meta, [ATTEMPT_KEY]: attempt }
  const data = event.data
  if (Predicate.isObject(data) && !containsBytes(data)) {
    return jsonEvent({ id: event.id, type: event.type, data: data as Record<string, unknown>, metadata })
  }
  return binaryEvent({ id: event.id, type: event.type, data: encodeMsgpack(data), metadata })
}

export interface Decoded {
  readonly event: RecordedEvent
  /** The attempt marker found in its metadata, if any. */
  readonly attempt: string | undefined
  readonly kurrentPosition: Position | undefined
}

/**
 * An event as the port records it; undefined for what this adapter did not write (system events,
 * links, events of other applications sharing the database).
 */
export const fromResolved = (resolved: ResolvedEvent | AllStreamResolvedEvent): Decoded | undefined => {
  const recorded = resolved.event
  if (recorded === undefined || recorded.type.startsWith("$") || recorded.streamId.startsWith("$")) return undefined
  const metadata = recorded.metadata
  if (!Predicate.isObject(metadata) || metadata instanceof Uint8Array) return undefined
  const { [ATTEMPT_KEY]: attempt, ...meta } = metadata as Record<string, unknown>
  const data = recorded.isJson ? recorded.data : decodeMsgpack(recorded.data as Uint8Array)
  const position = recorded.position ?? (resolved.commitPosition === undefined
    ? undefined
    : { commit: resolved.commitPosition, prepare: resolved.commitPosition })
  return {
    event: {
      id: recorded.id,
      type: recorded.type,
      data,
      meta: meta as unknown as NewEvent["meta"],
      stream: recorded.streamId,
      version: versionOfRevision(recorded.revision),
      position: position === undefined ? 0 : portPositionOf(position)
    },
    attempt: typeof attempt === "string" ? attempt : undefined,
    kurrentPosition: position
  }
}

// ---- errors ------------------------------------------------------------------------------------

/**
 * An append's failure: KurrentDB's conflict as the port's, with the actual version; any other failure
 * is "unavailable" with an unknown outcome, since the append may have been written before the call
 * failed (a deadline, a dropped connection) and nothing here tells otherwise.
 */
export const toStoreError = (
  context: string,
  stream: string,
  expected: ExpectedVersion,
  error: unknown
): WrongExpectedVersion | EventStoreUnavailable =>
  error instanceof WrongExpectedVersionError
    ? new WrongExpectedVersion({ stream, expected, actual: versionOfState(error.actualState) })
    : new EventStoreUnavailable({ reason: toUnavailable(context, error).reason, outcomeUnknown: true })

export const toUnavailable = (context: string, error: unknown): EventStoreUnavailable =>
  error instanceof EventStoreUnavailable
    ? error
    : new EventStoreUnavailable({
      reason: `${context}: ${error instanceof Error ? `${(error as { type?: string }).type ?? error.name}: ${error.message}` : String(error)}`
    })
