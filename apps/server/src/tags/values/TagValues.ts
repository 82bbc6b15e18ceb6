import { log } from "../../log.js"
import { openHistorianStore, type HistorianStore, type LastValueRow, type PointWrite } from "./HistorianStore.js"
import type { HistorizeLookup, TagValue, ValueListener, ValueOrigin } from "./TagValue.js"

/** The last value of a tag as answered by `GET /machhub/tag/value/<topic>`. */
export interface LastValue {
  readonly value: unknown
  readonly timestamp: number
}

/**
 * The value pipeline: every tag value, whichever way it came in, goes through `publish`, which keeps
 * the last value of each tag (in memory, and in historian.db so a restart keeps it), records a point
 * for historized tags (event: each change; timeseries: the last value of each samplingTime interval)
 * and hands the values to the listeners (MQTT, NATS) with where they came from.
 */
export interface TagValues {
  /** Takes values in; synchronous, so a read right after sees them. Writes to disk at the end of the tick, or at `flush`. */
  readonly publish: (values: ReadonlyArray<TagValue>, origin?: ValueOrigin) => void
  /** Writes what `publish` queued; every historian read calls it first. */
  readonly flush: () => void
  readonly last: (domain: string, topic: string) => LastValue | undefined
  readonly subscribe: (listener: ValueListener) => () => void
  readonly store: HistorianStore
  /** One retention pass: removes at most `budget` expired points; answers how many. */
  readonly prune: (budget?: number) => number
  /** Flushes, stops the retention timer and closes the store. */
  readonly close: () => void
}

export interface TagValuesOptions {
  readonly dataDir: string
  readonly historize: HistorizeLookup
  readonly synchronous?: "normal" | "full"
  /** Seconds between retention passes (0: none). */
  readonly pruneIntervalSeconds?: number
  /** Points removed at most per pass, so one pass never holds the database for long. */
  readonly pruneBatch?: number
  readonly now?: () => number
}

/**
 * What the pipeline holds for one tag: its last value, what its history holds last (event tags),
 * and the point this tick adds to it. One object per tag, found with two Map lookups and no string
 * built per value; the last value's JSON text is made when it is written, once per tag and tick.
 */
class TagState implements LastValueRow {
  /** The last value's time (`ts` as a last_values row); -Infinity before the first. */
  ts = Number.NEGATIVE_INFINITY
  value: unknown = undefined
  /** The last value changed since it was last written to historian.db. */
  dirty = false
  /** An event series' latest point as stored (number, or JSON text); `loaded` false until read. */
  loaded = false
  hasRecorded = false
  recordedNum: number | null = null
  recordedJson: string | null = null
  /** The tag's series in historian.db, once it is historized (ids are never reused). */
  series: number | undefined = undefined
  /** The point this tick added, while it is not written yet: a later value at the same instant replaces it. */
  pending: Point | undefined = undefined
  constructor(readonly domain: string, readonly topic: string) {}
  /** The last value as a last_values row holds it. */
  get json(): string {
    return lastJson(this.value)
  }
}

/** A point to write (PointWrite), mutable while its tick lasts. */
class Point implements PointWrite {
  constructor(
    readonly state: TagState,
    readonly series: number,
    readonly ts: number,
    public num: number | null,
    public json: string | null,
    public at: number | null,
    readonly keepLatest: boolean
  ) {}
}

const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value)
const lastJson = (value: unknown): string => (isFiniteNumber(value) ? String(value) : JSON.stringify(value ?? null))

export const openTagValues = (options: TagValuesOptions): TagValues => {
  const store = openHistorianStore(options.dataDir, options.synchronous)
  const now = options.now ?? Date.now
  const pruneBatch = options.pruneBatch ?? 10_000

  // Every tag's state by domain, then topic: the last values are loaded once, reads are Map lookups.
  const domains = new Map<string, Map<string, TagState>>()
  const stateOf = (domain: string, topic: string): TagState => {
    let topics = domains.get(domain)
    if (topics === undefined) domains.set(domain, (topics = new Map()))
    let state = topics.get(topic)
    if (state === undefined) topics.set(topic, (state = new TagState(domain, topic)))
    return state
  }
  const find = (domain: string, topic: string): TagState | undefined => domains.get(domain)?.get(topic)
  for (const row of store.lastValues()) {
    const state = stateOf(row.domain, row.topic)
    state.ts = row.ts
    state.value = JSON.parse(row.json)
  }

  /** An event series' latest stored point, read from the store on first use (later ones are kept here). */
  const loadRecorded = (state: TagState, series: number): void => {
    if (state.loaded) return
    state.loaded = true
    const [latest] = store.latest(series, 1)
    // A series never written holds nothing: the first value after historizing starts is a change.
    state.hasRecorded = latest !== undefined
    state.recordedNum = latest === undefined ? null : latest[1]
    state.recordedJson = latest === undefined ? null : latest[2]
  }

  let points: Array<Point> = []
  let dirty: Array<TagState> = []
  let scheduled = false
  const listeners = new Set<ValueListener>()

  const flush = (): void => {
    scheduled = false
    if (points.length === 0 && dirty.length === 0) return
    const writing = points
    const writingLasts = dirty
    points = []
    dirty = []
    for (const point of writing) point.state.pending = undefined
    for (const state of writingLasts) state.dirty = false
    store.write(writing, writingLasts)
  }

  const flushSoon = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(() => {
      try {
        flush()
      } catch (error) {
        log("error", "could not write tag values to historian.db", { error: error instanceof Error ? error.message : String(error) })
      }
    })
  }

  /**
   * Adds a point for the tag, or, when this tick already added one at the same instant, replaces it
   * as the store would (an event point by the later value; a timeseries interval's by the value of the
   * latest time, as ON CONFLICT in HistorianStore): a batch of values stamped with one time, or many
   * values in one sampling interval, is one row to write instead of thousands.
   */
  const addPoint = (state: TagState, series: number, ts: number, num: number | null, json: string | null, at: number | null, keepLatest: boolean) => {
    const pending = state.pending
    if (pending !== undefined && pending.ts === ts && pending.series === series && pending.keepLatest === keepLatest) {
      if (!keepLatest || (at ?? ts) >= (pending.at ?? pending.ts)) {
        pending.num = num
        pending.json = json
        pending.at = at
      }
      return
    }
    const point = new Point(state, series, ts, num, json, at, keepLatest)
    state.pending = point
    points.push(point)
  }

  const publish = (values: ReadonlyArray<TagValue>, origin: ValueOrigin = "internal"): void => {
    for (const v of values) {
      const state = stateOf(v.domain, v.topic)
      // The last value is the newest by its timestamp: a late value for an earlier time goes to history only.
      if (v.timestamp >= state.ts) {
        state.ts = v.timestamp
        state.value = v.value
        if (!state.dirty) {
          state.dirty = true
          dirty.push(state)
        }
      }
      const settings = options.historize(v.domain, v.topic)
      if (settings === undefined) continue
      const isNumber = isFiniteNumber(v.value)
      const num = isNumber ? (v.value as number) : null
      const text = isNumber ? null : JSON.stringify(v.value ?? null)
      const series = state.series ?? (state.series = store.seriesOf(v.domain, v.topic))
      if (settings.type === "event") {
        // A point per change of what the history holds: the same value sent again is not a change,
        // while the first value after a tag starts being historized always is.
        loadRecorded(state, series)
        if (state.hasRecorded && state.recordedNum === num && state.recordedJson === text) continue
        state.hasRecorded = true
        state.recordedNum = num
        state.recordedJson = text
        addPoint(state, series, v.timestamp, num, text, null, false)
      } else {
        const interval = settings.samplingMillis ?? 1_000
        addPoint(state, series, Math.floor(v.timestamp / interval) * interval, num, text, v.timestamp, true)
      }
    }
    flushSoon()
    for (const listener of listeners) {
      try {
        listener(values, origin)
      } catch (error) {
        log("error", "a tag value listener failed", { error: error instanceof Error ? error.message : String(error) })
      }
    }
  }

  // Round-robin over the series, so a long backlog on one tag does not starve the others' pruning.
  let cursor = 0
  const prune = (budget: number = pruneBatch): number => {
    flush()
    const all = store.allSeries()
    let removed = 0
    for (let visited = 0; visited < all.length && removed < budget; visited++) {
      const series = all[cursor % all.length]!
      const retention = options.historize(series.domain, series.topic)?.retentionMillis
      if (retention !== undefined) {
        const taken = store.prune(series.id, now() - retention, budget - removed)
        removed += taken
        // This series still has expired points: start there next time.
        if (removed >= budget) break
      }
      cursor = (cursor + 1) % Math.max(1, all.length)
    }
    return removed
  }

  const intervalSeconds = options.pruneIntervalSeconds ?? 60
  const timer = intervalSeconds > 0
    ? setInterval(() => {
      try {
        const removed = prune()
        if (removed > 0) log("info", "historian retention removed expired points", { removed })
      } catch (error) {
        log("error", "historian retention pass failed", { error: error instanceof Error ? error.message : String(error) })
      }
    }, intervalSeconds * 1000)
    : undefined
  timer?.unref()

  return {
    publish,
    flush,
    last: (domain, topic) => {
      const state = find(domain, topic)
      return state === undefined || state.ts === Number.NEGATIVE_INFINITY ? undefined : { value: state.value, timestamp: state.ts }
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    store,
    prune,
    close: () => {
      if (timer !== undefined) clearInterval(timer)
      try {
        flush()
      } finally {
        store.close()
      }
    }
  }
}
