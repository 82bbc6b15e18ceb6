import type { Zone } from "../tags/values/timeZone.js"

/** A calendar date, as reports name days: `YYYY-MM-DD`, read in the server's time zone. */
export interface LocalDate {
  readonly year: number
  readonly month: number
  readonly day: number
}

const DAY = 86_400_000

/** The date written `YYYY-MM-DD`, or undefined when it is not one (2026-02-30 included). */
export const parseLocalDate = (text: string): LocalDate | undefined => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (match === null) return undefined
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const check = new Date(Date.UTC(year, month - 1, day))
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined
  return { year, month, day }
}

export const addDays = (date: LocalDate, days: number): LocalDate => {
  const t = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY)
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() }
}

/** 0 = Sunday .. 6 = Saturday. */
export const weekdayOf = (date: LocalDate): number => new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()

const pad = (n: number) => String(n).padStart(2, "0")
export const formatLocalDate = (date: LocalDate): string => `${date.year}-${pad(date.month)}-${pad(date.day)}`

/**
 * The instant the zone's wall clock shows `date` at `minutes` past midnight. A wall time skipped by a
 * spring-forward change is the instant of the change; a repeated one (fall back) is its first pass.
 */
export const localInstant = (zone: Zone, date: LocalDate, minutes: number): number => {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minutes * 60_000
  // The offset in effect a day earlier is a first guess; two corrections settle it.
  let t = wall - zone.offset(wall - DAY)
  for (let i = 0; i < 3; i++) {
    const next = wall - zone.offset(t)
    if (next === t) return t
    t = next
  }
  // Oscillating: the wall time does not exist (spring forward); it starts when the change happened.
  return Math.min(t, wall - zone.offset(wall - DAY))
}

/** The calendar date the zone's wall clock shows at instant `t`. */
export const localDateOf = (zone: Zone, t: number): LocalDate => {
  const wall = new Date(t + zone.offset(t))
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() }
}

/** The start of the local day holding `t` (local midnight, whatever the day's length). */
export const startOfLocalDay = (zone: Zone, t: number): number => localInstant(zone, localDateOf(zone, t), 0)
