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

type MetricValue = number | string | null
const number = (value: MetricValue): value is number => typeof value === "number"

/** How each metric is formed from a group's sums; null when its denominator is zero (no data, no parts, no ideal cycle). */
const READERS: { readonly [M in ProductionMetric]: (s: Sums) => MetricValue } = {
  totalParts: (s) => s.totalParts,
  rejectedParts: (s) => Math.min(s.rejectedParts, s.totalParts),
  goodParts: (s) => s.totalParts - Math.min(s.rejectedParts, s.totalParts),
  timeInCycle: (s) => s.timeInCycle,
  allTime: (s) => s.allTime,
  plannedTime: (s) => s.plannedTime,
  downtime: (s) => s.downtime,
  utilizationRate: (s) => ratio(s.timeInCycle, s.allTime),
  availability: (s) => ratio(s.plannedInCycle, s.plannedTime),
  performance: (s) => ratio(s.idealPartTime, s.idealCycleTimeInCycle),
  quality: (s) => ratio(s.totalParts - Math.min(s.rejectedParts, s.totalParts), s.totalParts),
  oee: (s) => {
    const a = READERS.availability(s)
    const p = READERS.performance(s)
    const q = READERS.quality(s)
    return number(a) && number(p) && number(q) ? a * p * q : null
  },
  averagePartsPerHour: (s) => ratio(s.totalParts * HOUR, s.allTime),
  idealPartsPerHour: (s) => ratio(s.idealParts * HOUR, s.idealAllTime),
  minStartTime: (s) => (Number.isFinite(s.minStart) ? new Date(s.minStart).toISOString() : null),
  maxEndTime: (s) => (Number.isFinite(s.maxEnd) ? new Date(s.maxEnd).toISOString() : null)
}

/** The function forming a metric from sums, looked up once per report rather than once per row. */
export const metricReader = (metric: ProductionMetric): ((s: Sums) => MetricValue) => READERS[metric]

/** One metric of a group from its sums. */
export const metricValue = (metric: ProductionMetric, s: Sums): MetricValue => READERS[metric](s)
