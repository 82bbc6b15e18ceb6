/**
 * Time-zone arithmetic for buckets aligned on a zone's wall clock (SPEC §7: buckets aligned in `tz`),
 * with Intl's IANA database: whole-day buckets start at local midnight, also on the 23- and 25-hour
 * days of a DST change, and the repeated hour of a fall-back change is two buckets, not one.
 */

const MINUTE = 60_000
const DAY = 86_400_000
/** Weeks start on Monday: 1970-01-05 was the first Monday after the epoch. */
const MONDAY = 4 * DAY
/** Offsets change at most every 15 minutes of UTC (every zone's transitions fall on such a boundary). */
const SLOT = 15 * MINUTE

export interface Zone {
  readonly name: string
  /** Milliseconds to add to a UTC instant to get its wall-clock time in this zone. */
  readonly offset: (t: number) => number
}

const UTC: Zone = { name: "UTC", offset: () => 0 }

// Zones are kept with their offsets, so a chart refreshed every few seconds asks Intl nothing new.
const zones = new Map<string, Zone>()

/** The zone, or undefined when Intl does not know its name. */
export const zoneOf = (name: string): Zone | undefined => {
  if (name === "UTC" || name === "Etc/UTC" || name === "Z") return UTC
  let zone = zones.get(name)
  if (zone === undefined) {
    let format: Intl.DateTimeFormat
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: name,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric"
      })
    } catch {
      return undefined
    }
    if (zones.size >= 600) zones.clear()
    zones.set(name, (zone = makeZone(name, format)))
  }
  return zone
}

const makeZone = (name: string, zoneFormat: Intl.DateTimeFormat): Zone => {
  const exact = (at: number): number => {
    const parts: Record<string, number> = {}
    for (const part of zoneFormat.formatToParts(at)) if (part.type !== "literal") parts[part.type] = Number(part.value)
    return Date.UTC(parts["year"]!, parts["month"]! - 1, parts["day"]!, parts["hour"]!, parts["minute"]!, parts["second"]!) - at
  }
  // A UTC day whose start and end have the same offset has it all day (no zone changes twice in a
  // day): one lookup per day; the days of a change are looked up per 15-minute slot.
  const days = new Map<number, number | null>()
  const slots = new Map<number, number>()
  const offset = (t: number): number => {
    const day = Math.floor(t / DAY)
    let whole = days.get(day)
    if (whole === undefined) {
      const atStart = exact(day * DAY)
      whole = atStart === exact((day + 1) * DAY) ? atStart : null
      if (days.size > 100_000) days.clear()
      days.set(day, whole)
    }
    if (whole !== null) return whole
    const slot = Math.floor(t / SLOT)
    let known = slots.get(slot)
    if (known === undefined) {
      known = exact(slot * SLOT)
      if (slots.size > 100_000) slots.clear()
      slots.set(slot, known)
    }
    return known
  }
  return { name, offset }
}

/**
 * The start (a UTC instant) of the bucket of width `width` holding `t`, buckets being aligned on the
 * zone's wall clock: on the epoch, or on Mondays for whole weeks.
 */
export const bucketStart = (zone: Zone, width: number, t: number): number => {
  const origin = width % (7 * DAY) === 0 ? MONDAY : 0
  const wall = t + zone.offset(t)
  const target = Math.floor((wall - origin) / width) * width + origin
  // The instant whose wall time is `target`: the offset there may differ from the one at t (a DST change within the bucket).
  let start = target - zone.offset(t)
  for (let i = 0; i < 2; i++) {
    const next = target - zone.offset(start)
    if (next === start) break
    start = next
  }
  // A wall time skipped by a DST change: the bucket starts when the change happened.
  return start > t ? target - zone.offset(t) : start
}

/** The start of the bucket after the one starting at `start`. */
export const nextBucketStart = (zone: Zone, width: number, start: number): number => {
  // Half a bucket in lands inside the next bucket whether the current one was shortened or lengthened by a DST change.
  const next = bucketStart(zone, width, start + width + Math.floor(width / 2))
  return next > start ? next : start + width
}

const pad = (n: number, size = 2) => String(n).padStart(size, "0")

/** ISO 8601 with the zone's offset at that instant (`Z` in UTC), e.g. 2026-03-08T00:00:00.000-05:00. */
export const formatInZone = (zone: Zone, t: number): string => {
  const offset = zone.offset(t)
  if (offset === 0) return new Date(t).toISOString()
  const local = new Date(t + offset).toISOString().slice(0, -1)
  const minutes = Math.abs(offset) / MINUTE
  return `${local}${offset < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`
}
