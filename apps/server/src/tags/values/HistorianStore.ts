import { chmodSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"

/** One stored point: its time, and its value as a number (numbers) or JSON text (anything else). */
export type StoredPoint = readonly [ts: number, num: number | null, json: string | null]

/** A point to write: `at` is the value's own time when the point stands for an interval (timeseries). */
export interface PointWrite {
  readonly series: number
  readonly ts: number
  readonly num: number | null
  readonly json: string | null
  readonly at: number | null
  /** Timeseries points keep the latest value of their interval; event points replace one at the same instant. */
  readonly keepLatest: boolean
}

/** What the points of one bucket add up to; `first`/`last` only when asked. */
export interface BucketSum {
  readonly count: number
  readonly numbers: number
  readonly sum: number
  readonly min: number | null
  readonly max: number | null
  readonly first?: StoredPoint
  readonly last?: StoredPoint
}

export interface LastValueRow {
  readonly domain: string
  readonly topic: string
  readonly ts: number
  readonly json: string
}

export interface SeriesRow {
  readonly id: number
  readonly domain: string
  readonly topic: string
}

/**
 * The historian's own SQLite file, `historian.db` in the data dir (owner-only): telemetry kept apart
 * from the event log, so that devices sending thousands of values a second never flood the audit log
 * nor slow down commands (SPEC §7, "telemetry volume is not the audit log's").
 *
 * - `series`: one row per historized (domain, topic), so points carry a small integer, not the topic.
 * - `samples`: the points, clustered by (series, ts) (WITHOUT ROWID): a range of one tag is one
 *   contiguous B-tree scan. Numbers live in `num` alone; other values as JSON text in `value`.
 * - `last_values`: the last value of every tag, historized or not, so a restart keeps them.
 */
export interface HistorianStore {
  readonly path: string
  /** The series id of a topic, created on first use. */
  readonly seriesOf: (domain: string, topic: string) => number
  /** The series id of a topic, if it ever had a point. */
  readonly findSeries: (domain: string, topic: string) => number | undefined
  readonly allSeries: () => ReadonlyArray<SeriesRow>
  /** Writes points and last values in one transaction. */
  readonly write: (points: ReadonlyArray<PointWrite>, lasts: Iterable<LastValueRow>) => void
  readonly lastValues: () => Iterable<LastValueRow>
  /** Points with from <= ts < to, in time order. */
  readonly range: (series: number, from: number, to: number) => ReadonlyArray<StoredPoint>
  /** Up to `limit` points with after < ts < to, in time order: a page of a longer scan. */
  readonly page: (series: number, after: number, to: number, limit: number) => ReadonlyArray<StoredPoint>
  /** The latest point with ts < t: the value in effect when a range starts. */
  readonly before: (series: number, t: number) => StoredPoint | undefined
  /** How many points have from <= ts < to. */
  readonly count: (series: number, from: number, to: number) => number
  /** The time of the series' earliest point, if it has one (retention removes points from this end). */
  readonly earliest: (series: number) => number | undefined
  /** The latest `limit` points, newest first. */
  readonly latest: (series: number, limit: number) => ReadonlyArray<StoredPoint>
  /**
   * What the points of each bucket add up to, by SQLite itself (an index range per bucket, no
   * point handed over): bucket i holds bounds[i] <= ts < bounds[i + 1]. With `edges`, each bucket's
   * first and last points too.
   */
  readonly bucketSums: (series: number, bounds: ReadonlyArray<number>, edges: boolean) => ReadonlyArray<BucketSum>
  /** Removes at most `budget` of the series' points older than `cutoff`; answers how many went. */
  readonly prune: (series: number, cutoff: number, budget: number) => number
  readonly close: () => void
}

export const HISTORIAN_FILE = "historian.db"

export const openHistorianStore = (dataDir: string, synchronous: "normal" | "full" = "normal"): HistorianStore => {
  const path = join(dataDir, HISTORIAN_FILE)
  const db = new Database(path)
  // Owner-only whatever the umask (the server sets 077, a tool opening the file may not have).
  chmodSync(path, 0o600)
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`)
  db.pragma("busy_timeout = 2000")
  db.exec(`
    CREATE TABLE IF NOT EXISTS series (
      id INTEGER PRIMARY KEY,
      domain TEXT NOT NULL,
      topic TEXT NOT NULL,
      UNIQUE (domain, topic)
    );
    CREATE TABLE IF NOT EXISTS samples (
      series INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      num REAL,
      value TEXT,
      at INTEGER,
      PRIMARY KEY (series, ts)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS last_values (
      domain TEXT NOT NULL,
      topic TEXT NOT NULL,
      ts INTEGER NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (domain, topic)
    ) WITHOUT ROWID;
  `)

  const series = new Map<string, number>()
  const rows: Array<SeriesRow> = []
  for (const row of db.prepare("SELECT id, domain, topic FROM series ORDER BY id").all() as Array<SeriesRow>) {
    series.set(`${row.domain}\u0000${row.topic}`, row.id)
    rows.push(row)
  }
  const insertSeries = db.prepare("INSERT INTO series (domain, topic) VALUES (?, ?)")
  const seriesOf = (domain: string, topic: string): number => {
    const key = `${domain}\u0000${topic}`
    let id = series.get(key)
    if (id === undefined) {
      id = Number(insertSeries.run(domain, topic).lastInsertRowid)
      series.set(key, id)
      rows.push({ id, domain, topic })
    }
    return id
  }

  const replacePoint = db.prepare("INSERT OR REPLACE INTO samples (series, ts, num, value, at) VALUES (?, ?, ?, ?, ?)")
  // A later value of the same interval wins; one sent late for an earlier instant of it does not.
  const keepLatestPoint = db.prepare(
    "INSERT INTO samples (series, ts, num, value, at) VALUES (?, ?, ?, ?, ?) " +
      "ON CONFLICT (series, ts) DO UPDATE SET num = excluded.num, value = excluded.value, at = excluded.at " +
      "WHERE excluded.at >= coalesce(samples.at, samples.ts)"
  )
  const upsertLast = db.prepare(
    "INSERT INTO last_values (domain, topic, ts, value) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (domain, topic) DO UPDATE SET ts = excluded.ts, value = excluded.value"
  )
  const write = db.transaction((points: ReadonlyArray<PointWrite>, lasts: Iterable<LastValueRow>) => {
    for (const p of points) (p.keepLatest ? keepLatestPoint : replacePoint).run(p.series, p.ts, p.num, p.json, p.at)
    for (const last of lasts) upsertLast.run(last.domain, last.topic, last.ts, last.json)
  })

  const rangeQuery = db.prepare("SELECT ts, num, value FROM samples WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts").raw()
  const pageQuery = db.prepare("SELECT ts, num, value FROM samples WHERE series = ? AND ts > ? AND ts < ? ORDER BY ts LIMIT ?").raw()
  const beforeQuery = db.prepare("SELECT ts, num, value FROM samples WHERE series = ? AND ts < ? ORDER BY ts DESC LIMIT 1").raw()
  const countQuery = db.prepare("SELECT count(*) FROM samples WHERE series = ? AND ts >= ? AND ts < ?").pluck()
  const earliestQuery = db.prepare("SELECT ts FROM samples WHERE series = ? ORDER BY ts LIMIT 1").pluck()
  const latestQuery = db.prepare("SELECT ts, num, value FROM samples WHERE series = ? ORDER BY ts DESC LIMIT ?").raw()
  // The bounds travel as one JSON array; each bucket is a correlated aggregate over its own index range.
  const sumsSql = (edges: boolean) =>
    "WITH b (lo, hi) AS (SELECT value, lead(value) OVER (ORDER BY key) FROM json_each(?1)) " +
    "SELECT (SELECT json_array(count(*), count(num), total(num), min(num), max(num)) FROM samples WHERE series = ?2 AND ts >= b.lo AND ts < b.hi)" +
    (edges
      ? ", (SELECT json_array(ts, num, value) FROM samples WHERE series = ?2 AND ts >= b.lo AND ts < b.hi ORDER BY ts LIMIT 1)" +
        ", (SELECT json_array(ts, num, value) FROM samples WHERE series = ?2 AND ts >= b.lo AND ts < b.hi ORDER BY ts DESC LIMIT 1)"
      : "") +
    " FROM b WHERE b.hi IS NOT NULL ORDER BY b.lo"
  const sumsPlain = db.prepare(sumsSql(false)).raw()
  const sumsEdges = db.prepare(sumsSql(true)).raw()
  const bucketSums = (id: number, bounds: ReadonlyArray<number>, edges: boolean): Array<BucketSum> => {
    const rows = (edges ? sumsEdges : sumsPlain).all({ 1: JSON.stringify(bounds), 2: id }) as Array<[string, string?, string?]>
    return rows.map(([sums, first, last]) => {
      const [count, numbers, sum, min, max] = JSON.parse(sums) as [number, number, number, number | null, number | null]
      if (!edges || count === 0) return { count, numbers, sum, min, max }
      return { count, numbers, sum, min, max, first: JSON.parse(first!) as StoredPoint, last: JSON.parse(last!) as StoredPoint }
    })
  }
  const nthOld = db.prepare("SELECT ts FROM samples WHERE series = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?").pluck()
  const deleteUpTo = db.prepare("DELETE FROM samples WHERE series = ? AND ts <= ?")
  const deleteBefore = db.prepare("DELETE FROM samples WHERE series = ? AND ts < ?")

  return {
    path,
    seriesOf,
    findSeries: (domain, topic) => series.get(`${domain}\u0000${topic}`),
    allSeries: () => rows,
    write: (points, lasts) => write(points, lasts),
    lastValues: () => db.prepare("SELECT domain, topic, ts, value AS json FROM last_values").iterate() as Iterable<LastValueRow>,
    range: (id, from, to) => rangeQuery.all(id, from, to) as Array<StoredPoint>,
    page: (id, after, to, limit) => pageQuery.all(id, after, to, limit) as Array<StoredPoint>,
    before: (id, t) => beforeQuery.get(id, t) as StoredPoint | undefined,
    count: (id, from, to) => countQuery.get(id, from, to) as number,
    earliest: (id) => earliestQuery.get(id) as number | undefined,
    latest: (id, limit) => latestQuery.all(id, limit) as Array<StoredPoint>,
    bucketSums,
    prune: (id, cutoff, budget) => {
      if (budget <= 0) return 0
      // Bounded work: when more than `budget` points are due, remove only the oldest `budget` now.
      const boundary = nthOld.get(id, cutoff, budget - 1) as number | undefined
      return boundary === undefined ? deleteBefore.run(id, cutoff).changes : deleteUpTo.run(id, boundary).changes
    },
    close: () => {
      if (db.open) db.close()
    }
  }
}

/** The value a stored point holds. */
export const pointValue = (point: StoredPoint): unknown => (point[2] === null ? point[1] : JSON.parse(point[2]))
