import { pointValue, type StoredPoint } from "./HistorianStore.js"
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
 * Buckets of `points` (in time order) aligned on the zone's wall clock, one entry per bucket with the
 * asked aggregates. Empty buckets: left out (`none`), nulls (`null`), the previous bucket's values
 * (`previous`) or values interpolated in time between the buckets around them (`linear`, numbers
 * only). `count` of an empty bucket is 0 whatever the fill: it is a fact, not an estimate.
 */
export const bucketize = (points: Iterable<StoredPoint>, query: BucketQuery): Array<BucketPoint> => {
  const { zone, width, aggregates, fill } = query
  const keepValues = aggregates.includes("median")
  const filled: Array<{ start: number; values: Array<unknown> | undefined }> = []
  const emit = (start: number, accumulator: Accumulator | undefined) => {
    filled.push({ start, values: accumulator === undefined ? undefined : aggregates.map((a) => accumulator.get(a)) })
  }
  // Points are pulled one at a time (the source may page through the store), with one held back.
  const iterator = points[Symbol.iterator]()
  let pending: StoredPoint | undefined = iterator.next().value ?? undefined
  const take = (end: number, accumulator: Accumulator | undefined): Accumulator | undefined => {
    while (pending !== undefined && pending[0] < end) {
      ;(accumulator ??= new Accumulator(keepValues)).add(pending)
      pending = iterator.next().value ?? undefined
    }
    return accumulator
  }

  if (fill === "none") {
    while (pending !== undefined) {
      const start = bucketStart(zone, width, pending[0])
      emit(start, take(nextBucketStart(zone, width, start), undefined))
    }
  } else {
    for (let start = bucketStart(zone, width, query.from); start < query.to; ) {
      const end = nextBucketStart(zone, width, start)
      emit(start, take(end, undefined))
      start = end
    }
    fillGaps(filled, aggregates, fill)
  }

  return filled.map(({ start, values }) => {
    const point: Record<string, unknown> = { t: formatInZone(zone, start) }
    aggregates.forEach((aggregate, i) => (point[aggregate] = values?.[i] ?? (aggregate === "count" ? 0 : null)))
    return point as BucketPoint
  })
}

const fillGaps = (buckets: Array<{ start: number; values: Array<unknown> | undefined }>, aggregates: ReadonlyArray<Aggregate>, fill: Fill) => {
  if (fill === "null") return
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
