import { WEEKDAYS, type ShiftDefinition } from "@machhub/core"
import type { Zone } from "../tags/values/timeZone.js"
import { addDays, localDateOf, localInstant, weekdayOf } from "./localTime.js"

/** One occurrence of a shift: a named interval of planned time. */
export interface ShiftOccurrence {
  readonly name: string
  readonly start: number
  readonly end: number
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * The occurrences of a machine's shifts overlapping [from, to), by start. A shift starts on the local
 * days it names at its local start time, and ends at its end time that day, or the next day when the
 * end is at or before the start (22:00–06:00 crosses midnight; 06:00–06:00 lasts a whole day). Times
 * are wall-clock times, so a shift over a DST change is an hour shorter or longer.
 */
export const shiftOccurrences = (zone: Zone, shifts: ReadonlyArray<ShiftDefinition>, from: number, to: number): Array<ShiftOccurrence> => {
  if (shifts.length === 0) return []
  const out: Array<ShiftOccurrence> = []
  // A shift starting the day before `from` may still run into it.
  let date = addDays(localDateOf(zone, from), -1)
  const last = localDateOf(zone, to)
  for (;;) {
    const weekday = WEEKDAYS[weekdayOf(date)]!
    for (const shift of shifts) {
      if (shift.days !== undefined && !shift.days.includes(weekday)) continue
      const startMinutes = minutesOf(shift.start)
      const endMinutes = minutesOf(shift.end)
      const start = localInstant(zone, date, startMinutes)
      const end = localInstant(zone, endMinutes > startMinutes ? date : addDays(date, 1), endMinutes)
      if (end > from && start < to && end > start) out.push({ name: shift.name, start, end })
    }
    if (date.year === last.year && date.month === last.month && date.day === last.day) break
    date = addDays(date, 1)
  }
  return out.sort((a, b) => a.start - b.start)
}
