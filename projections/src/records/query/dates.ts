/**
 * What counts as a date, defined once for both sides, because neither native parser can be trusted to
 * agree with the other: SQLite also accepts `2024-01-01 10:00`, julian day numbers, `now` and trailing
 * spaces, and stops reading at a NUL; `Date.parse` reads a zone-less date-time as local time and takes
 * years like `+002024`. So a date is a string of exactly this shape:
 *
 *   YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.f{1,3}]] followed by Z or ±HH:MM
 *
 * whose fields are in the ranges SQLite's date parser accepts (month 1-12, day 1-31, hour 0-24,
 * minute and second 0-59, zone offset up to ±14:59), and whose instant is not after
 * 9999-12-31T23:59:59.999Z (SQLite's limit). Overflowing days and hours roll over as in SQLite
 * (`2023-02-30` is 2023-03-02, `T24:00` is the next midnight). Its value is the instant in epoch
 * milliseconds; SQL compares `unixepoch(x, 'subsec')`, i.e. that number divided by 1000.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):(\d{2})))?$/

/** 9999-12-31T23:59:59.999Z, the last instant SQLite's date functions represent. */
const MAX_INSTANT_MS = 253_402_300_799_999

/** The instant of a valid date string (epoch ms), or undefined when the string is not a valid date. */
export const isoInstantMs = (text: string): number | undefined => {
  const m = ISO_DATE.exec(text)
  if (m === null) return undefined
  const num = (index: number): number => (m[index] === undefined ? 0 : Number(m[index]))
  const [year, month, day, hour, minute, second] = [num(1), num(2), num(3), num(4), num(5), num(6)]
  // ".5" is half a second: pad the fraction to milliseconds.
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0"))
  const zoneHours = num(9)
  const zoneMinutes = num(10)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 59) return undefined
  if (zoneHours > 14 || zoneMinutes > 59) return undefined
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 literally; both roll over out-of-month days.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, millis)
  const offsetMs = (m[8] === "-" ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000
  const instant = date.getTime() - offsetMs
  return instant > MAX_INSTANT_MS ? undefined : instant
}

/**
 * A date given in a query must also round-trip: no rolled-over fields (`2023-02-30`, `T24:00`), so a
 * typo is refused rather than quietly meaning another day.
 */
export const isCanonicalDate = (text: string): boolean => {
  const m = ISO_DATE.exec(text)
  if (m === null || isoInstantMs(text) === undefined) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
  return day <= daysInMonth && (m[4] === undefined || Number(m[4]) <= 23)
}

// The same shape for SQLite, as GLOB patterns (SQLite has no regular expressions built in).
const D2 = "[0-9][0-9]"
const DAY = `${D2}${D2}-${D2}-${D2}`
const TIMES = [`T${D2}:${D2}`, `T${D2}:${D2}:${D2}`, `T${D2}:${D2}:${D2}.[0-9]`, `T${D2}:${D2}:${D2}.${D2}`, `T${D2}:${D2}:${D2}.[0-9]${D2}`]
const ZONES = ["Z", `[-+]${D2}:${D2}`]
const DATE_GLOBS = [DAY, ...TIMES.flatMap((time) => ZONES.map((zone) => `${DAY}${time}${zone}`))]

/**
 * SQL that is true exactly when the text value `x` is a valid date as defined above. GLOB and the date
 * functions read text only up to a NUL, hence the explicit NUL check; the range checks and the upper
 * limit are SQLite's own (`unixepoch` answers NULL outside them).
 */
export const sqlIsDate = (x: string): string =>
  `((${DATE_GLOBS.map((glob) => `${x} GLOB '${glob}'`).join(" OR ")}) AND instr(${x}, char(0)) = 0 AND unixepoch(${x}, 'subsec') IS NOT NULL)`

/** SQL for the instant of a valid date `x`, in seconds (compare with `ms / 1000`). */
export const sqlInstant = (x: string): string => `unixepoch(${x}, 'subsec')`
