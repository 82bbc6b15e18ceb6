import type { HistorianStore } from "../tags/values/HistorianStore.js"
import { numberOf, pointsOf, stateOfPoint } from "./signals.js"

/**
 * Per-hour summaries of the signals reports read, so a month of 1 Hz signals is a few hundred sums
 * per machine instead of every stored point. An hour (of UTC: every zone's offset is a whole number
 * of 15 minutes, so a report cut at local midnight or a shift edge on the hour cuts between hours)
 * is summarized from its own points only, relative to the value in effect when it starts: its
 * summary stays right whatever is written before it, and a write into the hour invalidates it.
 */
export const HOUR = 3_600_000
const HOURS_PER_CHUNK = 24

/** Execution states as numbers in the tables. */
export const NO_DATA = 0
export const NOT_IN_CYCLE = 1
export const IN_CYCLE = 2
export const stateCode = (state: "inCycle" | "notInCycle" | "noData"): number => (state === "inCycle" ? IN_CYCLE : state === "notInCycle" ? NOT_IN_CYCLE : NO_DATA)

/**
 * An execution hour: from its first point on, the time in and out of cycle, the first and last
 * instant with data, and the state of its last point (NaN without points: the state before it holds
 * the whole hour). Times are epoch ms; NaN where there is none.
 */
export const EXECUTION = { valid: 0, firstPoint: 1, inCycle: 2, notInCycle: 3, firstData: 4, lastData: 5, lastState: 6, width: 7 } as const
/** A counter hour: its first and last numbers (NaN: none) and what it counted between them. */
export const COUNTER = { valid: 0, first: 1, counted: 2, last: 3, width: 4 } as const

export type SignalKind = "execution" | "counter"

/** Recently used chunks, in order of use; the oldest go when there are too many. */
interface Recency {
  /** A new chunk, and how to drop it from its table. */
  readonly add: (chunk: Float64Array, drop: () => void) => void
  readonly touch: (chunk: Float64Array) => void
  readonly forget: (chunk: Float64Array) => void
}

const makeRecency = (maxChunks: number): Recency => {
  const order = new Map<Float64Array, () => void>()
  const evict = () => {
    while (order.size > maxChunks) {
      const [oldest, drop] = order.entries().next().value as [Float64Array, () => void]
      order.delete(oldest)
      drop()
    }
  }
  return {
    add: (chunk, drop) => {
      order.set(chunk, drop)
      evict()
    },
    touch: (chunk) => {
      const drop = order.get(chunk)
      if (drop === undefined) return
      order.delete(chunk)
      order.set(chunk, drop)
    },
    forget: (chunk) => void order.delete(chunk)
  }
}

/** One series' hour summaries of one kind: rows of `width` numbers, a day of hours per chunk. */
export class HourTable {
  private readonly chunks = new Map<number, Float64Array>()
  /** The series' earliest point when last looked at: retention removing points moves it. */
  earliest: number | undefined = undefined

  constructor(
    readonly kind: SignalKind,
    readonly width: number,
    private readonly recency: Recency
  ) {}

  /** The chunk `row` found last: a report reads a series' hours in order, a day of them per chunk. */
  private found: Float64Array | undefined = undefined
  private foundIndex = Number.NaN

  /** The offset of the hour's row in `rowChunk()`, or -1 when it has no valid summary. */
  row(hour: number): number {
    const index = Math.floor(hour / HOURS_PER_CHUNK)
    if (index !== this.foundIndex) {
      this.found = this.chunks.get(index)
      this.foundIndex = index
    }
    if (this.found === undefined) return -1
    const offset = (hour - index * HOURS_PER_CHUNK) * this.width
    return this.found[offset] === 1 ? offset : -1
  }

  /** The chunk of the hour `row` last answered a valid offset for. */
  rowChunk(): Float64Array {
    return this.found!
  }

  /** Marks the hour's chunk as just used, so it is not the next to go. */
  touch(hour: number): void {
    const index = Math.floor(hour / HOURS_PER_CHUNK)
    const chunk = this.chunks.get(index)
    if (chunk !== undefined) this.recency.touch(chunk)
  }

  private drop(index: number, chunk: Float64Array): void {
    if (this.chunks.get(index) === chunk) this.chunks.delete(index)
    if (this.found === chunk) this.foundIndex = Number.NaN
  }

  /** The chunk holding the hour (made when absent), to write its row at `offsetOf(hour)`. */
  chunkOf(hour: number): Float64Array {
    const index = Math.floor(hour / HOURS_PER_CHUNK)
    let chunk = this.chunks.get(index)
    if (chunk === undefined) {
      const made = new Float64Array(HOURS_PER_CHUNK * this.width)
      this.chunks.set(index, made)
      this.recency.add(made, () => this.drop(index, made))
      if (index === this.foundIndex) this.found = made
      chunk = made
    }
    return chunk
  }

  offsetOf(hour: number): number {
    return (hour - Math.floor(hour / HOURS_PER_CHUNK) * HOURS_PER_CHUNK) * this.width
  }

  invalidate(hour: number): void {
    const index = Math.floor(hour / HOURS_PER_CHUNK)
    const chunk = this.chunks.get(index)
    if (chunk !== undefined) chunk[(hour - index * HOURS_PER_CHUNK) * this.width] = 0
  }

  /** Invalidates every hour up to `hour`, included. */
  invalidateUpTo(hour: number): void {
    const last = Math.floor(hour / HOURS_PER_CHUNK)
    for (const [index, chunk] of this.chunks) {
      if (index < last) {
        this.chunks.delete(index)
        this.recency.forget(chunk)
        if (this.found === chunk) this.foundIndex = Number.NaN
      } else if (index === last) {
        for (let h = index * HOURS_PER_CHUNK; h <= hour; h++) chunk[(h - index * HOURS_PER_CHUNK) * this.width] = 0
      }
    }
  }

  clear(): void {
    for (const chunk of this.chunks.values()) this.recency.forget(chunk)
    this.chunks.clear()
    this.foundIndex = Number.NaN
  }
}

/** Fills the summaries of hours [first, end) of an execution series from its points, one scan. */
const summarizeExecution = (store: HistorianStore, series: number, table: HourTable, first: number, end: number, check?: () => void): void => {
  const E = EXECUTION
  let hour = first
  let chunk = table.chunkOf(hour)
  let o = table.offsetOf(hour)
  // The time of the latest point read.
  let at = 0
  const open = (h: number, firstPoint: number) => {
    chunk = table.chunkOf(h)
    o = table.offsetOf(h)
    chunk[o + E.firstPoint] = firstPoint
    chunk[o + E.inCycle] = 0
    chunk[o + E.notInCycle] = 0
    chunk[o + E.firstData] = Number.NaN
    chunk[o + E.lastData] = Number.NaN
    chunk[o + E.lastState] = Number.NaN
  }
  const add = (a: number, b: number, state: number) => {
    if (b <= a || state === NO_DATA) return
    chunk[o + (state === IN_CYCLE ? E.inCycle : E.notInCycle)] = chunk[o + (state === IN_CYCLE ? E.inCycle : E.notInCycle)]! + (b - a)
    if (Number.isNaN(chunk[o + E.firstData]!)) chunk[o + E.firstData] = a
    chunk[o + E.lastData] = b
  }
  const close = () => {
    if (!Number.isNaN(chunk[o + E.lastState]!)) add(at, (hour + 1) * HOUR, chunk[o + E.lastState]!)
    chunk[o + E.valid] = 1
  }
  open(hour, Number.NaN)
  for (const point of pointsOf(store, series, first * HOUR, end * HOUR, check)) {
    const ts = point[0]
    const h = Math.floor(ts / HOUR)
    if (h !== hour) {
      close()
      // Hours without points between: nothing of their own.
      for (let empty = hour + 1; empty < h; empty++) {
        open(empty, Number.NaN)
        chunk[o + E.valid] = 1
      }
      hour = h
      open(h, ts)
    } else if (Number.isNaN(chunk[o + E.firstPoint]!)) {
      chunk[o + E.firstPoint] = ts
    } else {
      add(at, ts, chunk[o + E.lastState]!)
    }
    at = ts
    chunk[o + E.lastState] = stateCode(stateOfPoint(point))
  }
  close()
  for (let empty = hour + 1; empty < end; empty++) {
    open(empty, Number.NaN)
    chunk[o + E.valid] = 1
  }
}

/** Fills the summaries of hours [first, end) of a counter series from its points, one scan. */
const summarizeCounter = (store: HistorianStore, series: number, table: HourTable, first: number, end: number, check?: () => void): void => {
  const C = COUNTER
  let hour = first - 1
  let chunk = table.chunkOf(first)
  let o = 0
  const open = (h: number) => {
    chunk = table.chunkOf(h)
    o = table.offsetOf(h)
    chunk[o + C.first] = Number.NaN
    chunk[o + C.counted] = 0
    chunk[o + C.last] = Number.NaN
    chunk[o + C.valid] = 1
  }
  for (const point of pointsOf(store, series, first * HOUR, end * HOUR, check)) {
    const value = numberOf(point)
    if (value === undefined) continue
    const h = Math.floor(point[0] / HOUR)
    while (hour < h) open(++hour)
    const previous = chunk[o + C.last]!
    if (Number.isNaN(previous)) chunk[o + C.first] = value
    else {
      // As counterIncreases: a rise counts its difference, a drop is a reset counting the new value.
      const count = value >= previous ? value - previous : value
      if (count > 0) chunk[o + C.counted] = chunk[o + C.counted]! + count
    }
    chunk[o + C.last] = value
  }
  while (hour < end - 1) open(++hour)
}

/**
 * Makes sure the given hours (ascending) of a series have summaries, computing the missing ones in
 * runs of consecutive hours, one scan of the historian each.
 */
export const ensureHours = (store: HistorianStore, series: number, table: HourTable, hours: ReadonlyArray<number>, check?: () => void): void => {
  const summarize = table.kind === "execution" ? summarizeExecution : summarizeCounter
  // The chunks this report reads are the last to go when room is needed.
  for (let i = 0; i < hours.length; i++) if (i === 0 || Math.floor(hours[i]! / HOURS_PER_CHUNK) !== Math.floor(hours[i - 1]! / HOURS_PER_CHUNK)) table.touch(hours[i]!)
  let i = 0
  while (i < hours.length) {
    if (table.row(hours[i]!) !== -1) {
      i++
      continue
    }
    let j = i + 1
    while (j < hours.length && hours[j] === hours[j - 1]! + 1 && table.row(hours[j]!) === -1) j++
    summarize(store, series, table, hours[i]!, hours[j - 1]! + 1, check)
    i = j
  }
}

/** The hour summaries of one historian, kept up to date by the values written into it. */
export interface HourSummaries {
  /** The table of a series (made when absent), checked first against retention having removed points. */
  readonly table: (kind: SignalKind, domain: string, topic: string, series: number) => HourTable
  /** Forgets the hours that values written for these tags at these times fall in. */
  readonly written: (values: ReadonlyArray<{ readonly domain: string; readonly topic: string; readonly timestamp: number }>) => void
}

/** At most this many chunks (a day of hours of one series each, about 1 KB) are kept; the least recently used go first. */
export const MAX_CHUNKS = 50_000

export const makeHourSummaries = (store: HistorianStore, maxChunks: number = MAX_CHUNKS): HourSummaries => {
  const recency = makeRecency(maxChunks)
  // domain → topic → the tables of that series, so a written value finds its tables in two lookups.
  const watched = new Map<string, Map<string, Array<HourTable>>>()
  const tables = new Map<string, HourTable>()

  return {
    table: (kind, domain, topic, series) => {
      const key = `${kind}\u0000${series}`
      let table = tables.get(key)
      if (table === undefined) {
        table = new HourTable(kind, kind === "execution" ? EXECUTION.width : COUNTER.width, recency)
        tables.set(key, table)
        let byTopic = watched.get(domain)
        if (byTopic === undefined) watched.set(domain, (byTopic = new Map()))
        const list = byTopic.get(topic)
        if (list === undefined) byTopic.set(topic, [table])
        else list.push(table)
      }
      // Retention removes a series' oldest points: the hours up to its new earliest point may have lost some.
      const earliest = store.earliest(series)
      if (earliest !== table.earliest) {
        if (earliest === undefined) table.clear()
        else if (table.earliest !== undefined) table.invalidateUpTo(Math.floor(Math.max(earliest, table.earliest) / HOUR))
        table.earliest = earliest
      }
      return table
    },
    written: (values) => {
      if (watched.size === 0) return
      for (const value of values) {
        const list = watched.get(value.domain)?.get(value.topic)
        if (list === undefined) continue
        const hour = Math.floor(value.timestamp / HOUR)
        for (const table of list) table.invalidate(hour)
      }
    }
  }
}
