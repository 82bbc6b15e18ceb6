import type { HistorianStore, StoredPoint } from "../tags/values/HistorianStore.js"
import { pointValue } from "../tags/values/HistorianStore.js"

/** What the execution signal says over an interval: in cycle, known but not in cycle, or nothing. */
export type ExecutionState = "inCycle" | "notInCycle" | "noData"

/** A stretch of time with one execution state; segments are contiguous and cover [from, to). */
export interface Segment {
  readonly start: number
  readonly end: number
  readonly state: ExecutionState
}

/** Points read from the historian at a time, so a long period never holds all its raw points at once. */
const PAGE = 10_000

/**
 * The points of [from, to) in time order, a page at a time; `check` runs before each page, so a
 * caller with a deadline can stop a long read by throwing.
 */
export function* pointsOf(store: HistorianStore, series: number, from: number, to: number, check?: () => void): Generator<StoredPoint> {
  // `page` takes points after its bound: start just before `from` so a point at `from` is included.
  let after = from - 1
  for (;;) {
    check?.()
    const page = store.page(series, after, to, PAGE)
    yield* page
    if (page.length < PAGE) return
    after = page[page.length - 1]![0]
  }
}

/** MTConnect `Execution` values that mean the controller reports a state (any but ACTIVE is not in cycle). */
const KNOWN_EXECUTION = new Set(["ACTIVE", "READY", "INTERRUPTED", "FEED_HOLD", "STOPPED", "OPTIONAL_STOP", "PROGRAM_STOPPED", "PROGRAM_COMPLETED", "WAIT"])

/**
 * The state an Execution value stands for. `ACTIVE` is in cycle; the other MTConnect values are not;
 * `UNAVAILABLE` (what an MTConnect agent sends when it cannot read the controller), null and anything
 * else are no data: a gap in the signal is not downtime.
 */
export const executionState = (value: unknown): ExecutionState => {
  if (typeof value !== "string") return "noData"
  const upper = value.trim().toUpperCase()
  if (upper === "ACTIVE") return "inCycle"
  return KNOWN_EXECUTION.has(upper) ? "notInCycle" : "noData"
}

/** States by the stored JSON text of a value: a signal repeats a few texts millions of times. */
const statesByText = new Map<string, ExecutionState>()
export const stateOfPoint = (point: StoredPoint): ExecutionState => {
  const text = point[2]
  if (text === null) return "noData"
  let state = statesByText.get(text)
  if (state === undefined) {
    state = executionState(JSON.parse(text))
    if (statesByText.size < 1000) statesByText.set(text, state)
  }
  return state
}

/**
 * The execution segments of [from, to): the value in effect at `from` is the last point before it
 * (none: no data until the first point), each point holds until the next one, and nothing after
 * `now` is known (the future is no data, not downtime).
 */
export const executionSegments = (store: HistorianStore, series: number | undefined, from: number, to: number, now: number): Array<Segment> => {
  const end = Math.min(to, now)
  if (series === undefined || end <= from) return to > from ? [{ start: from, end: to, state: "noData" }] : []
  const segments: Array<Segment> = []
  const push = (start: number, stop: number, state: ExecutionState) => {
    if (stop <= start) return
    const last = segments[segments.length - 1]
    if (last !== undefined && last.state === state && last.end === start) segments[segments.length - 1] = { start: last.start, end: stop, state }
    else segments.push({ start, end: stop, state })
  }
  const before = store.before(series, from)
  let state: ExecutionState = before === undefined ? "noData" : stateOfPoint(before)
  let at = from
  for (const point of pointsOf(store, series, from, end)) {
    push(at, point[0], state)
    at = point[0]
    state = stateOfPoint(point)
  }
  push(at, end, state)
  push(end, to, "noData")
  return segments
}

/** A counter's increase at an instant: how many parts it counted then. */
export interface CountEvent {
  readonly at: number
  readonly count: number
}

/** A counter point's number, or undefined when its value is not one (skipped, the baseline kept). */
export const numberOf = (point: StoredPoint): number | undefined => {
  if (point[1] !== null) return point[1]
  const value = pointValue(point)
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

/**
 * The parts a counter counted in [from, to), each at the instant its value rose: an increase counts
 * its difference; a drop is a reset (to zero, or to a counter restarted elsewhere), after which the
 * new value itself is what was counted since the reset. The value before `from` is the baseline; with
 * none, the first value is. Values that are not numbers are skipped, the baseline kept.
 */
export const counterIncreases = (store: HistorianStore, series: number | undefined, from: number, to: number): Array<CountEvent> => {
  if (series === undefined || to <= from) return []
  const before = store.before(series, from)
  let previous = before === undefined ? undefined : numberOf(before)
  const out: Array<CountEvent> = []
  for (const point of pointsOf(store, series, from, to)) {
    const value = numberOf(point)
    if (value === undefined) continue
    if (previous !== undefined) {
      const count = value >= previous ? value - previous : value
      if (count > 0) out.push({ at: point[0], count })
    }
    previous = value
  }
  return out
}
