import { EventStoreUnavailable } from "@machhub/core"

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
