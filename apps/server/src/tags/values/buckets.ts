import { pointValue, type BucketSum, type HistorianStore, type StoredPoint } from "./HistorianStore.js"
import { pointsBetween } from "./instants.js"
import { bucketStart, formatInZone, nextBucketStart, type Zone } from "./timeZone.js"

export const AGGREGATES = ["avg", "min", "max", "sum", "count", "first", "last", "median"] as const
export type Aggregate = (typeof AGGREGATES)[number]
export const FILLS = ["none", "null", "previous", "linear"] as const
export type Fill = (typeof FILLS)[number]

/** At most this many buckets per answer: beyond, the caller is asked for a wider bucket. */
export const MAX_BUCKETS = 100_000

/** What one bucket accumulated. Numbers feed avg/min/max/sum/median; every value counts and can be first or last. */
export class Accumulator {
  count = 0
  numbers = 0
  sum = 0
  min = Infinity
  max = -Infinity
  first: StoredPoint | undefined
  last: StoredPoint | undefined
  values: Array<number> | undefined

  constructor(keepValues: boolean) {
    if (keepValues) this.values = []
  }

  add(point: StoredPoint): void {
    this.count++
    this.first ??= point
    this.last = point
    const num = point[2] === null ? point[1] : null
    if (num === null) return
    this.numbers++
    this.sum += num
    if (num < this.min) this.min = num
    if (num > this.max) this.max = num
    this.values?.push(num)
  }

  /** Takes the sums the store computed for the bucket. */
  static of(sums: BucketSum): Accumulator {
    const accumulator = new Accumulator(false)
    accumulator.count = sums.count
    accumulator.numbers = sums.numbers
    accumulator.sum = sums.sum
    accumulator.min = sums.min ?? Infinity
    accumulator.max = sums.max ?? -Infinity
    accumulator.first = sums.first
    accumulator.last = sums.last
    return accumulator
  }

  get(aggregate: Aggregate): unknown {
    switch (aggregate) {
      case "count":
        return this.count
      case "first":
        return this.first === undefined ? null : pointValue(this.first)
      case "last":
        return this.last === undefined ? null : pointValue(this.last)
      default:
        if (this.numbers === 0) return null
    }
    switch (aggregate) {
      case "avg":
        return this.sum / this.numbers
      case "min":
        return this.min
      case "max":
        return this.max
      case "sum":
        return this.sum
      default:
        return median(this.values ?? [])
    }
  }
}

const median = (values: Array<number>): number | null => {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export interface BucketQuery {
  readonly zone: Zone
  readonly width: number
  /** The range asked for: from <= t < to. */
  readonly from: number
  readonly to: number
  readonly aggregates: ReadonlyArray<Aggregate>
  readonly fill: Fill
}

export type BucketPoint = Record<string, unknown> & { readonly t: string }

/** How many buckets the range spans (roughly: DST changes move it by one or two). */
export const bucketCount = (query: Pick<BucketQuery, "from" | "to" | "width">): number => Math.ceil((query.to - query.from) / query.width) + 1

/**
 * Buckets of one series over the range, aligned on the zone's wall clock, one entry per bucket with
 * the asked aggregates. SQLite sums each bucket up over its index range (a month of minute points in
 * hour buckets is 720 small range scans, no point handed over); only the median, which cannot be
 * summed up, reads the points. Empty buckets: left out (`none`), nulls (`null`), the previous
 * bucket's values (`previous`) or values interpolated in time between the buckets around them
 * (`linear`, numbers only). `count` of an empty bucket is 0 whatever the fill: it is a fact, not an
 * estimate.
 */
export const bucketize = (store: HistorianStore, series: number | undefined, query: BucketQuery): Array<BucketPoint> => {
  const { zone, width, from, to, aggregates, fill } = query
  // Bucket i spans starts[i] <= t < starts[i + 1]; the first starts before `from` when `from` is not aligned.
  const starts: Array<number> = []
  let start = bucketStart(zone, width, from)
  for (; start < to; start = nextBucketStart(zone, width, start)) starts.push(start)
  const buckets = starts.length
  starts.push(start)
  const accumulators = new Array<Accumulator | undefined>(buckets)

  if (series !== undefined && buckets > 0) {
    if (aggregates.includes("median")) {
      let index = 0
      for (const point of pointsBetween(store, series, from, to)) {
        while (point[0] >= starts[index + 1]!) index++
        ;(accumulators[index] ??= new Accumulator(true)).add(point)
      }
    } else {
      // Only points of the asked range count, also in the first and last buckets.
      const bounds = starts.map((t) => Math.min(Math.max(t, from), to))
      const sums = store.bucketSums(series, bounds, aggregates.includes("first") || aggregates.includes("last"))
      sums.forEach((sum, i) => {
        if (sum.count > 0) accumulators[i] = Accumulator.of(sum)
      })
    }
  }

  const filled = starts.slice(0, buckets).map((t, i) => ({ start: t, values: accumulators[i] === undefined ? undefined : aggregates.map((a) => accumulators[i]!.get(a)) }))
  if (fill !== "none" && fill !== "null") fillGaps(filled, aggregates, fill)
  const answered = fill === "none" ? filled.filter((bucket) => bucket.values !== undefined) : filled
  return answered.map(({ start: t, values }) => {
    const point: Record<string, unknown> = { t: formatInZone(zone, t) }
    aggregates.forEach((aggregate, i) => (point[aggregate] = values?.[i] ?? (aggregate === "count" ? 0 : null)))
    return point as BucketPoint
  })
}

const fillGaps = (buckets: Array<{ start: number; values: Array<unknown> | undefined }>, aggregates: ReadonlyArray<Aggregate>, fill: "previous" | "linear") => {
  let previous: number | undefined
  for (let i = 0; i < buckets.length; i++) {
    const bucket = buckets[i]!
    if (bucket.values !== undefined) {
      previous = i
      continue
    }
    if (previous === undefined) continue
    const before = buckets[previous]!
    if (fill === "previous") {
      bucket.values = aggregates.map((aggregate, a) => (aggregate === "count" ? 0 : before.values![a]))
      continue
    }
    let next = i + 1
    while (next < buckets.length && buckets[next]!.values === undefined) next++
    if (next === buckets.length) break
    const after = buckets[next]!
    const share = (bucket.start - before.start) / (after.start - before.start)
    bucket.values = aggregates.map((aggregate, a) => {
      if (aggregate === "count") return 0
      const x = before.values![a]
      const y = after.values![a]
      return typeof x === "number" && typeof y === "number" ? x + (y - x) * share : null
    })
  }
}
