/**
 * Durations as MACHHUB writes them in historize settings and historian ranges: a positive whole
 * number and one unit, `<n>s`, `<n>m`, `<n>h`, `<n>d` or `<n>w` (e.g. "30s", "5m", "24h", "90d").
 * Kept as written in events and answers (what the operator typed reads back unchanged); converted to
 * milliseconds where time is computed.
 */

const UNIT_MILLIS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

const DURATION = /^([1-9][0-9]{0,8})([smhdw])$/

/** What a duration looks like, for messages naming a field that does not parse. */
export const DURATION_FORMAT = 'a whole number and a unit s, m, h, d or w, such as "30s", "5m", "1h", "7d" or "2w"'

/** The milliseconds a duration stands for, or undefined when it does not parse. */
export const parseDuration = (text: string): number | undefined => {
  const match = DURATION.exec(text)
  if (match === null) return undefined
  return Number(match[1]) * UNIT_MILLIS[match[2] as keyof typeof UNIT_MILLIS]
}
