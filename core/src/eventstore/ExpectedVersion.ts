/**
 * What the appender believes about the stream (Emmett's semantics):
 * - "any": no check;
 * - "no_stream": the stream must not exist yet;
 * - "exists": the stream must have at least one event;
 * - a number n: the stream's current version must be exactly n (0 means empty).
 */
export type ExpectedVersion = "any" | "no_stream" | "exists" | number

/** Checks an expectation against a stream's current version (0 when the stream does not exist). */
export const matchesExpectedVersion = (expected: ExpectedVersion, actual: number): boolean => {
  switch (expected) {
    case "any":
      return true
    case "no_stream":
      return actual === 0
    case "exists":
      return actual > 0
    default:
      return actual === expected
  }
}

export const isExpectedVersion = (value: unknown): value is ExpectedVersion =>
  value === "any" || value === "no_stream" || value === "exists" ||
  (typeof value === "number" && Number.isSafeInteger(value) && value >= 0)
