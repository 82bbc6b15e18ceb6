import type { HistorianStore, StoredPoint } from "./HistorianStore.js"

/** The latest instant JavaScript dates (and ISO 8601 with four-digit years) can hold: 9999-12-31. */
const MAX_INSTANT = 253_402_300_799_999

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i

/**
 * An instant given as an ISO 8601 text (`2026-06-01T00:00:00Z`; a date alone is midnight UTC) or as
 * milliseconds since the epoch; undefined for anything else, so a caller can name the field at fault.
 */
export const parseInstant = (given: unknown): number | undefined => {
  if (typeof given === "number") return Number.isInteger(given) && given >= 0 && given <= MAX_INSTANT ? given : undefined
  if (typeof given !== "string") return undefined
  const trimmed = given.trim()
  if (/^\d{1,15}$/.test(trimmed)) return parseInstant(Number(trimmed))
  if (!ISO_DATE.test(trimmed)) return undefined
  const t = Date.parse(trimmed)
  return Number.isNaN(t) || t < 0 || t > MAX_INSTANT ? undefined : t
}

export const INSTANT_FORMAT = "an ISO 8601 time such as 2026-06-01T00:00:00Z, or milliseconds since 1970"

/** The points of one series with from <= ts < to, in time order, read a page at a time. */
export function* pointsBetween(store: HistorianStore, series: number | undefined, from: number, to: number, pageSize = 50_000): Generator<StoredPoint> {
  if (series === undefined) return
  let after = from - 1
  for (;;) {
    const page = store.page(series, after, to, pageSize)
    yield* page
    if (page.length < pageSize) return
    after = page[page.length - 1]![0]
  }
}
