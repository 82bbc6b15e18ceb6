import { EventStoreUnavailable } from "@machhub/core"
import { JetStreamApiError } from "@nats-io/jetstream"
import { RequestError } from "@nats-io/transport-node"

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** A NATS or JetStream failure (timeout, lost connection, API error) while doing `context`. */
export const unavailable = (context: string, error: unknown): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `${context}: ${describe(error)}` })

export const storeClosed = (): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: "the JetStream event store is closed" })

export const disconnected = (context: string): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `${context}: NATS is disconnected` })

/**
 * Invalid input. As in the SQLite adapter, the port has no dedicated error for it: it is reported as
 * EventStoreUnavailable with a reason starting with "invalid"; retrying will not help.
 */
export const invalid = (reason: string): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `invalid request: ${reason}` })

/** A message in the stream that this adapter did not write, or that was damaged. */
export const corrupt = (seq: number, reason: string): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `unreadable message at stream sequence ${seq}: ${reason}` })

/** An "any"/"exists" append that lost the race for the stream's head too many times in a row. */
export const contended = (stream: string, attempts: number): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `stream ${stream} changed under ${attempts} consecutive attempts to append to it` })

/**
 * Whether a publish that failed this way may still have been stored. Only an answer from the server
 * says it was not: an API error (the stream refused it) or "no responders" (no stream listens on the
 * subject). A timeout, a lost or closed connection, or an unreadable acknowledgement leaves it open:
 * the message may have reached the stream and only its acknowledgement been lost.
 */
export const publishMayHaveStored = (error: unknown): boolean => {
  if (error instanceof JetStreamApiError) return false
  const cause = error instanceof Error ? error.cause : undefined
  if (error instanceof RequestError && error.isNoResponders()) return false
  if (cause instanceof RequestError && cause.isNoResponders()) return false // nats.js's JetStreamNotEnabled
  return true
}

/** `failure` of an append that may have been stored: its caller cannot tell whether it happened. */
export const outcomeUnknown = (failure: EventStoreUnavailable): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: failure.reason, outcomeUnknown: true })
