import { pointValue, type HistorianStore, type StoredPoint } from "./HistorianStore.js"
import { Accumulator, type Aggregate } from "./buckets.js"
import { bucketStart, formatInZone, nextBucketStart, type Zone } from "./timeZone.js"

/** Rows are sent in chunks of about this many characters: each chunk is one write to the socket. */
const CHUNK = 64 * 1024
/** Points read per tag at a time: with 100 tags exported, some 200,000 points in memory at most. */
const PAGE = 2_000

export interface CsvExport {
  readonly store: HistorianStore
  readonly columns: ReadonlyArray<{ readonly series: number | undefined; readonly header: string }>
  readonly from: number
  readonly to: number
  readonly zone: Zone
  /** Bucket width; absent: every point as stored. */
  readonly width?: number
  /** What a bucket answers; absent with a width: the bucket's last value. */
  readonly aggregate?: Aggregate
}

/** A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  if (typeof value === "number") return String(value)
  return field(typeof value === "string" ? value : JSON.stringify(value))
}

/** One series' points in time order, paged from the store, with the next one visible. */
class Cursor {
  private page: ReadonlyArray<StoredPoint> = []
  private index = 0
  private after: number
  private done: boolean

  constructor(private readonly store: HistorianStore, private readonly series: number | undefined, from: number, private readonly to: number) {
    this.after = from - 1
    this.done = series === undefined
  }

  peek(): StoredPoint | undefined {
    if (this.index < this.page.length) return this.page[this.index]
    if (this.done) return undefined
    this.page = this.store.page(this.series!, this.after, this.to, PAGE)
    this.index = 0
    if (this.page.length < PAGE) this.done = true
    if (this.page.length === 0) return undefined
    this.after = this.page[this.page.length - 1]![0]
    return this.page[0]
  }

  next(): StoredPoint {
    const point = this.peek()!
    this.index++
    return point
  }
}

/**
 * `Timestamp,<topic>...` rows for several tags (SPEC §7, the SDK's getHistoricalDataAsCSV): every
 * stored instant of any of them (a column is empty where its tag has no point then), or one row per
 * bucket aligned in the zone with each tag's aggregate. Times are ISO 8601 with the zone's offset.
 * The store is read a page at a time and rows leave in chunks, so an export of any size runs in
 * bounded memory and never holds the event loop for long.
 */
export async function* csvRows(options: CsvExport): AsyncGenerator<string> {
  const { zone, width, aggregate } = options
  const cursors = options.columns.map((column) => new Cursor(options.store, column.series, options.from, options.to))
  let chunk = `Timestamp,${options.columns.map((column) => field(column.header)).join(",")}\r\n`
  const earliest = (): number | undefined => {
    let min: number | undefined
    for (const cursor of cursors) {
      const point = cursor.peek()
      if (point !== undefined && (min === undefined || point[0] < min)) min = point[0]
    }
    return min
  }
  const cells = new Array<string>(cursors.length)

  for (let t = earliest(); t !== undefined; t = earliest()) {
    if (width === undefined) {
      for (let i = 0; i < cursors.length; i++) cells[i] = cursors[i]!.peek()?.[0] === t ? cell(pointValue(cursors[i]!.next())) : ""
      chunk += `${formatInZone(zone, t)},${cells.join(",")}\r\n`
    } else {
      const start = bucketStart(zone, width, t)
      const end = nextBucketStart(zone, width, start)
      for (let i = 0; i < cursors.length; i++) {
        const cursor = cursors[i]!
        let accumulator: Accumulator | undefined
        while ((cursor.peek()?.[0] ?? Infinity) < end) (accumulator ??= new Accumulator(aggregate === "median")).add(cursor.next())
        cells[i] = accumulator === undefined ? "" : cell(accumulator.get(aggregate ?? "last"))
      }
      chunk += `${formatInZone(zone, start)},${cells.join(",")}\r\n`
    }
    if (chunk.length >= CHUNK) {
      yield chunk
      chunk = ""
    }
  }
  if (chunk.length > 0) yield chunk
}
