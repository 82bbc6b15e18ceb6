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

interface Held {
  value: unknown
  timestamp: number
  json: string
}

const key = (domain: string, topic: string) => `${domain}\u0000${topic}`

export const openTagValues = (options: TagValuesOptions): TagValues => {
  const store = openHistorianStore(options.dataDir, options.synchronous)
  const now = options.now ?? Date.now
  const pruneBatch = options.pruneBatch ?? 10_000

  // Every tag's last value, loaded once: reads are a Map lookup.
  const lasts = new Map<string, Held>()
  for (const row of store.lastValues()) lasts.set(key(row.domain, row.topic), { value: JSON.parse(row.json), timestamp: row.ts, json: row.json })

  // The value of each event series' latest point, as JSON text (read from the store on first use).
  const recorded = new Map<number, string | null>()
  const recordedJson = (series: number): string | null => {
    let json = recorded.get(series)
    if (json === undefined) {
      // A point queued but not yet written is in `recorded` already; otherwise the store has the latest.
      const [latest] = store.latest(series, 1)
      json = latest === undefined ? null : latest[2] ?? String(latest[1])
      recorded.set(series, json)
    }
    return json
  }

  let points: Array<PointWrite> = []
  let pendingLasts = new Map<string, LastValueRow>()
  let scheduled = false
  const listeners = new Set<ValueListener>()

  const flush = (): void => {
    scheduled = false
    if (points.length === 0 && pendingLasts.size === 0) return
    const writing = points
    const writingLasts = pendingLasts
    points = []
    pendingLasts = new Map()
    store.write(writing, writingLasts.values())
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

  const publish = (values: ReadonlyArray<TagValue>, origin: ValueOrigin = "internal"): void => {
    for (const v of values) {
      const k = key(v.domain, v.topic)
      const previous = lasts.get(k)
      const isNumber = typeof v.value === "number" && Number.isFinite(v.value)
      const json = isNumber ? String(v.value) : JSON.stringify(v.value ?? null)
      // The last value is the newest by its timestamp: a late value for an earlier time goes to history only.
      if (previous === undefined || v.timestamp >= previous.timestamp) {
        lasts.set(k, { value: v.value, timestamp: v.timestamp, json })
        pendingLasts.set(k, { domain: v.domain, topic: v.topic, ts: v.timestamp, json })
      }
      const settings = options.historize(v.domain, v.topic)
      if (settings === undefined) continue
      const num = isNumber ? (v.value as number) : null
      const text = isNumber ? null : json
      if (settings.type === "event") {
        // A point per change of what the history holds: the same value sent again is not a change,
        // while the first value after a tag starts being historized always is.
        const series = store.seriesOf(v.domain, v.topic)
        if (recordedJson(series) === json) continue
        recorded.set(series, json)
        points.push({ series, ts: v.timestamp, num, json: text, at: null, keepLatest: false })
      } else {
        const interval = settings.samplingMillis ?? 1_000
        const start = Math.floor(v.timestamp / interval) * interval
        points.push({ series: store.seriesOf(v.domain, v.topic), ts: start, num, json: text, at: v.timestamp, keepLatest: true })
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
      const held = lasts.get(key(domain, topic))
      return held === undefined ? undefined : { value: held.value, timestamp: held.timestamp }
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
