/**
 * The argument checks of the EventStore port's reads, shared by every adapter so they refuse the same
 * calls with the same words. Each answers the problem, or undefined when the arguments are fine.
 */
export const readStreamProblem = (stream: unknown, fromVersion: unknown, limit: unknown): string | undefined => {
  if (typeof stream !== "string" || stream.length === 0) return "readStream: the stream name must be a non-empty string"
  if (!Number.isSafeInteger(fromVersion)) return `readStream: fromVersion must be an integer, got ${String(fromVersion)}`
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0)) {
    return `readStream: limit must be an integer >= 0, got ${String(limit)}`
  }
  return undefined
}

export const readAllProblem = (fromPosition: unknown, limit: unknown): string | undefined => {
  if (!Number.isSafeInteger(fromPosition)) return `readAll: fromPosition must be an integer, got ${String(fromPosition)}`
  if (!Number.isSafeInteger(limit) || (limit as number) < 0) return `readAll: limit must be an integer >= 0, got ${String(limit)}`
  return undefined
}
