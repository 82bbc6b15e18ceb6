/**
 * Durations as MACHHUB writes them: `<n><unit>` with unit ms, s, m, h, d or w (`500ms`, `5s`, `24h`,
 * `30d`), n a positive integer. Used by historize settings (samplingTime, retention), the historian's
 * `range` and bucket sizes.
 */
const UNIT_MILLIS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
}

const DURATION = /^([1-9][0-9]{0,9})(ms|s|m|h|d|w)$/

/** Milliseconds, or undefined when the text is not `<n><unit>` (or exceeds ~1,000 years). */
export const parseDuration = (text: string): number | undefined => {
  const match = DURATION.exec(text.trim())
  if (match === null) return undefined
  const millis = Number(match[1]) * UNIT_MILLIS[match[2]!]!
  return millis <= 1000 * 365.25 * 86_400_000 ? millis : undefined
}

/** The unit of a parsed duration (for bucket alignment: whole days and weeks follow the local calendar). */
export const durationUnit = (text: string): string | undefined => DURATION.exec(text.trim())?.[2]
