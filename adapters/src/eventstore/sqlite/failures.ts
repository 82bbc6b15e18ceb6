import { EventStoreUnavailable } from "@machhub/core"

/** Describes a thrown value (a SqliteError carries a code such as SQLITE_FULL or SQLITE_BUSY). */
const describe = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === "string" ? `${code}: ${error.message}` : error.message
  }
  return String(error)
}

/** SQLite failures (disk full, closed or corrupt database, ...) surface as EventStoreUnavailable. */
export const unavailable = (context: string, error: unknown): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `${context}: ${describe(error)}` })

export const storeClosed = (): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: "the SQLite event store is closed" })

/**
 * Invalid input. The port has no dedicated error for it, so it is reported as EventStoreUnavailable
 * with a reason starting with "invalid"; retrying will not help.
 */
export const invalid = (reason: string): EventStoreUnavailable =>
  new EventStoreUnavailable({ reason: `invalid request: ${reason}` })
