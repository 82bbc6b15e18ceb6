/**
 * The production metrics (SPEC §9), each computed from additive sums so any grouping (a machine, a
 * day, a shift, several machines) rolls up exactly: sums add, rates are formed last. Times in ms,
 * rates as fractions 0..1. The README states each definition next to its formula.
 */
export const PRODUCTION_METRICS = [
  "totalParts",
  "goodParts",
  "rejectedParts",
  "timeInCycle",
  "allTime",
  "plannedTime",
  "downtime",
  "utilizationRate",
  "availability",
  "performance",
  "quality",
  "oee",
  "averagePartsPerHour",
  "idealPartsPerHour",
  "minStartTime",
  "maxEndTime"
] as const
export type ProductionMetric = (typeof PRODUCTION_METRICS)[number]

export const DOWNTIME_METRICS = ["downtimeMs"] as const
export type DowntimeMetric = (typeof DOWNTIME_METRICS)[number]

/** What one slice of one machine's time adds to its groups. */
export interface Sums {
  totalParts: number
  rejectedParts: number
  /** Time with data (the execution state known). */
  allTime: number
  timeInCycle: number
  /** Time with data inside a shift (all time with data for a machine without shifts). */
  plannedTime: number
  plannedInCycle: number
  downtime: number
  /** Σ idealCycle × parts (ms), over machines with an ideal cycle time. */
  idealPartTime: number
  /** Σ timeInCycle of machines with an ideal cycle time: performance's denominator. */
  idealCycleTimeInCycle: number
  /** Σ allTime / idealCycle: parts the machines could make in their time with data. */
  idealParts: number
  /** Σ allTime of machines with an ideal cycle time. */
  idealAllTime: number
  minStart: number
  maxEnd: number
}

export const emptySums = (): Sums => ({
  totalParts: 0,
  rejectedParts: 0,
  allTime: 0,
  timeInCycle: 0,
  plannedTime: 0,
  plannedInCycle: 0,
  downtime: 0,
  idealPartTime: 0,
  idealCycleTimeInCycle: 0,
  idealParts: 0,
  idealAllTime: 0,
  minStart: Number.POSITIVE_INFINITY,
  maxEnd: Number.NEGATIVE_INFINITY
})

export const addSums = (into: Sums, from: Sums): void => {
  into.totalParts += from.totalParts
  into.rejectedParts += from.rejectedParts
  into.allTime += from.allTime
  into.timeInCycle += from.timeInCycle
  into.plannedTime += from.plannedTime
  into.plannedInCycle += from.plannedInCycle
  into.downtime += from.downtime
  into.idealPartTime += from.idealPartTime
  into.idealCycleTimeInCycle += from.idealCycleTimeInCycle
  into.idealParts += from.idealParts
  into.idealAllTime += from.idealAllTime
  into.minStart = Math.min(into.minStart, from.minStart)
  into.maxEnd = Math.max(into.maxEnd, from.maxEnd)
}

const HOUR = 3_600_000
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

/** One metric of a group from its sums; null when its denominator is zero (no data, no parts, no ideal cycle). */
export const metricValue = (metric: ProductionMetric, s: Sums): number | string | null => {
  switch (metric) {
    case "totalParts":
      return s.totalParts
    case "rejectedParts":
      return Math.min(s.rejectedParts, s.totalParts)
    case "goodParts":
      return s.totalParts - Math.min(s.rejectedParts, s.totalParts)
    case "timeInCycle":
      return s.timeInCycle
    case "allTime":
      return s.allTime
    case "plannedTime":
      return s.plannedTime
    case "downtime":
      return s.downtime
    case "utilizationRate":
      return ratio(s.timeInCycle, s.allTime)
    case "availability":
      return ratio(s.plannedInCycle, s.plannedTime)
    case "performance":
      return ratio(s.idealPartTime, s.idealCycleTimeInCycle)
    case "quality":
      return ratio(s.totalParts - Math.min(s.rejectedParts, s.totalParts), s.totalParts)
    case "oee": {
      const a = metricValue("availability", s)
      const p = metricValue("performance", s)
      const q = metricValue("quality", s)
      return typeof a === "number" && typeof p === "number" && typeof q === "number" ? a * p * q : null
    }
    case "averagePartsPerHour":
      return ratio(s.totalParts * HOUR, s.allTime)
    case "idealPartsPerHour":
      return ratio(s.idealParts * HOUR, s.idealAllTime)
    case "minStartTime":
      return Number.isFinite(s.minStart) ? new Date(s.minStart).toISOString() : null
    case "maxEndTime":
      return Number.isFinite(s.maxEnd) ? new Date(s.maxEnd).toISOString() : null
  }
}
