/**
 * Instants in query strings: ISO-8601 dates (`2025-03-01`, midnight UTC) or date-times with a zone
 * (`2025-03-01T12:00:00Z`, `...+02:00`). A date-time without a zone is refused rather than read in the
 * server's own zone. A `+` sent unencoded arrives as a space and is read back as `+`.
 */
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/

export const parseInstant = (raw: string): number | undefined => {
  const value = raw.trim().replace(" ", "+")
  if (!ISO.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

export const INSTANT_HINT = "an ISO-8601 date or date-time with a zone, e.g. 2025-03-01 or 2025-03-01T12:00:00Z"
