import type { HistorianStore } from "../tags/values/HistorianStore.js"
import { COUNTER, ensureHours, EXECUTION, HOUR, IN_CYCLE, NO_DATA, stateCode, type HourTable } from "./hourSummaries.js"
import { numberOf, pointsOf, stateOfPoint } from "./signals.js"

/** Per interval [cuts[i], cuts[i + 1]): the time in and out of cycle, and the first and last instant with data. */
export interface ExecutionSums {
  readonly inCycle: Float64Array
  readonly notInCycle: Float64Array
  /** +Infinity / -Infinity where the interval has no data. */
  readonly firstData: Float64Array
  readonly lastData: Float64Array
}

/** Where a series is read from: the historian, and its hour summaries (none: every point is read). */
export interface SeriesSource {
  readonly store: HistorianStore
  readonly series: number | undefined
  readonly table: HourTable | undefined
  /** Throws to stop a report past its deadline; called between reads. */
  readonly check?: (() => void) | undefined
}

/**
 * The whole hours of [from, end) that no cut falls inside, ascending: those a summary can stand for
 * (each lies within one interval). The rest, the report's edges and hours cut by a local midnight
 * off the hour, a shift edge or an annotation, is read point by point.
 */
const wholeHours = (cuts: ReadonlyArray<number>, end: number): Array<number> => {
  const hours: Array<number> = []
  const from = cuts[0]!
  let c = 0
  for (let h = Math.ceil(from / HOUR); (h + 1) * HOUR <= end; h++) {
    const start = h * HOUR
    const stop = start + HOUR
    while (c < cuts.length && cuts[c]! <= start) c++
    if (c < cuts.length && cuts[c]! < stop) continue
    hours.push(h)
  }
  return hours
}

/** Moves an interval index forward to the interval holding instant t. */
const intervalOf = (cuts: ReadonlyArray<number>, k: number, t: number): number => {
  while (k + 2 < cuts.length && cuts[k + 1]! <= t) k++
  return k
}

/**
 * The execution signal over each interval of `cuts` (ascending, the first and last the report's
 * period): the value in effect at the start is the last point before it; each point holds until the
 * next one; nothing at or after `now` is known. Whole hours are taken from their summaries.
 */
export const executionByInterval = (source: SeriesSource, cuts: ReadonlyArray<number>, now: number): ExecutionSums => {
  const n = cuts.length - 1
  const sums: ExecutionSums = {
    inCycle: new Float64Array(n),
    notInCycle: new Float64Array(n),
    firstData: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    lastData: new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
  }
  const { store, series, table, check } = source
  const from = cuts[0]!
  const end = Math.min(cuts[n]!, now)
  if (series === undefined || end <= from) return sums

  let k = 0
  // A stretch of one state, split over the intervals it crosses.
  const add = (a: number, b: number, state: number) => {
    if (b <= a || state === NO_DATA) return
    k = intervalOf(cuts, k, a)
    const into = state === IN_CYCLE ? sums.inCycle : sums.notInCycle
    while (a < b) {
      const stop = Math.min(b, cuts[k + 1]!)
      into[k] = into[k]! + (stop - a)
      if (a < sums.firstData[k]!) sums.firstData[k] = a
      if (stop > sums.lastData[k]!) sums.lastData[k] = stop
      a = stop
      if (a < b) k++
    }
  }

  const hours = table === undefined ? [] : wholeHours(cuts, end)
  if (table !== undefined) ensureHours(store, series, table, hours, check)
  const before = store.before(series, from)
  let state = before === undefined ? NO_DATA : stateCode(stateOfPoint(before))
  let t = from
  let next = 0
  while (t < end) {
    const summarized = next < hours.length ? hours[next]! * HOUR : end
    if (t < summarized) {
      // Point by point up to the next summarized hour.
      let at = t
      for (const point of pointsOf(store, series, t, summarized, check)) {
        add(at, point[0], state)
        at = point[0]
        state = stateCode(stateOfPoint(point))
      }
      add(at, summarized, state)
      t = summarized
      continue
    }
    const hour = hours[next++]!
    let o = table!.row(hour)
    if (o === -1) {
      // Its chunk went to make room for others meanwhile: summarize it again.
      ensureHours(store, series, table!, [hour], check)
      o = table!.row(hour)
    }
    const row = table!.rowChunk()
    const firstPoint = row[o + EXECUTION.firstPoint]!
    if (Number.isNaN(firstPoint)) {
      add(t, t + HOUR, state)
    } else {
      add(t, firstPoint, state)
      k = intervalOf(cuts, k, t)
      sums.inCycle[k] = sums.inCycle[k]! + row[o + EXECUTION.inCycle]!
      sums.notInCycle[k] = sums.notInCycle[k]! + row[o + EXECUTION.notInCycle]!
      const firstData = row[o + EXECUTION.firstData]!
      if (!Number.isNaN(firstData)) {
        if (firstData < sums.firstData[k]!) sums.firstData[k] = firstData
        const lastData = row[o + EXECUTION.lastData]!
        if (lastData > sums.lastData[k]!) sums.lastData[k] = lastData
      }
      state = row[o + EXECUTION.lastState]!
    }
    t += HOUR
  }
  return sums
}

/**
 * What a counter counted in each interval of `cuts`, at the instants its value rose (a drop is a
 * reset: the new value is counted); the baseline is the last value before the period, or its first
 * value. Whole hours before `now` are taken from their summaries.
 */
export const countsByInterval = (source: SeriesSource, cuts: ReadonlyArray<number>, now: number): Float64Array => {
  const n = cuts.length - 1
  const counts = new Float64Array(n)
  const { store, series, table, check } = source
  const from = cuts[0]!
  const to = cuts[n]!
  if (series === undefined || to <= from) return counts

  let k = 0
  let previous: number | undefined
  const take = (at: number, value: number) => {
    if (previous !== undefined) {
      const count = value >= previous ? value - previous : value
      if (count > 0) {
        k = intervalOf(cuts, k, at)
        counts[k] = counts[k]! + count
      }
    }
    previous = value
  }

  // The hour now is in still takes values: read point by point.
  const hours = table === undefined ? [] : wholeHours(cuts, Math.min(to, Math.floor(now / HOUR) * HOUR))
  if (table !== undefined) ensureHours(store, series, table, hours, check)
  const before = store.before(series, from)
  previous = before === undefined ? undefined : numberOf(before)
  let t = from
  let next = 0
  while (t < to) {
    const summarized = next < hours.length ? hours[next]! * HOUR : to
    if (t < summarized) {
      for (const point of pointsOf(store, series, t, summarized, check)) {
        const value = numberOf(point)
        if (value !== undefined) take(point[0], value)
      }
      t = summarized
      continue
    }
    const hour = hours[next++]!
    let o = table!.row(hour)
    if (o === -1) {
      ensureHours(store, series, table!, [hour], check)
      o = table!.row(hour)
    }
    const row = table!.rowChunk()
    const first = row[o + COUNTER.first]!
    if (!Number.isNaN(first)) {
      take(t, first)
      k = intervalOf(cuts, k, t)
      counts[k] = counts[k]! + row[o + COUNTER.counted]!
      previous = row[o + COUNTER.last]!
    }
    t += HOUR
  }
  return counts
}
