import type Database from "better-sqlite3"
import type { RecordedEvent } from "@machhub/core"
import { Data, Effect } from "effect"
import type { Projection } from "./Projection.js"

/** Reads up to `limit` events from position `from` (inclusive) and says where the next read starts. */
export type ReplaySource = (from: number, limit: number) => {
  readonly events: ReadonlyArray<RecordedEvent>
  readonly next: number
}

export interface ReplayOptions {
  /** Last position to apply (inclusive), typically the log's head when the replay starts. */
  readonly upTo: number
  /**
   * Per projection (same order as the projections), the last position to apply to it; each is capped
   * by `upTo`. Verification uses it to rebuild every projection exactly to the checkpoint it has live.
   */
  readonly targets?: ReadonlyArray<number> | undefined
  /** Events per read and per transaction. */
  readonly batchSize?: number | undefined
  /**
   * Secondary (non-unique) indexes: "deferred" (default) builds them once at the end, not row by row
   * (see DeferredIndexes); "skip" never builds them, for a scratch copy only read in key order (verify);
   * "immediate" maintains them row by row, as the live runner does.
   */
  readonly indexes?: "deferred" | "skip" | "immediate" | undefined
  /** Called after each committed batch with the last position read and the events read so far. */
  readonly onBatch?: ((position: number, events: number) => void) | undefined
}

export interface ReplayResult {
  readonly events: number
  /** The last position read (0 when the log was empty). */
  readonly position: number
}

export class ReplayFailed extends Data.TaggedError("ReplayFailed")<{ readonly message: string }> {}

/**
 * 2,000 events per read and per transaction. Measured on 1,000,000 events (test/bench/replay.mjs):
 * as fast as 10,000 (commits cost little without a journal) with a third less peak RSS (267 MB vs
 * 393 MB), since a smaller batch of decoded events dies young instead of being promoted by the GC.
 */
export const defaultReplayBatchSize = 2_000

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * Secondary indexes built once at the end of a replay instead of row by row. Inserting 300,000 rows
 * into a table with several secondary indexes (the audit index) cost ~14 µs a row with every index
 * updated at random places, ~3 µs a row plus one sorted build per index at the end (measured, see
 * test/bench/replay.mjs). Only plain `CREATE INDEX`es are deferred: they serve queries and never change
 * what a statement does, whereas UNIQUE indexes enforce constraints that projections rely on (`ON
 * CONFLICT`, `OR IGNORE`) and stay. Projections look rows up by primary key or unique index while
 * applying events, so none of their statements loses an index it needs.
 */
class DeferredIndexes {
  private readonly deferred: Array<string> = []
  private readonly schemaVersion: () => number
  private seen = -1

  constructor(private readonly db: Database.Database) {
    const statement = db.prepare<[], number>("PRAGMA schema_version").pluck()
    this.schemaVersion = () => statement.get()!
  }

  /** Drops the secondary indexes created since the last call (a projection may create tables lazily). */
  collect(): void {
    const version = this.schemaVersion()
    if (version === this.seen) return
    const indexes = this.db
      .prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid")
      .all()
    for (const index of indexes) {
      if (!/^\s*CREATE\s+INDEX\s/i.test(index.sql)) continue
      this.db.exec(`DROP INDEX "${index.name.replaceAll('"', '""')}"`)
      this.deferred.push(index.sql)
    }
    this.seen = this.schemaVersion()
  }

  /** Builds every deferred index, in the order they were first created. */
  build(): void {
    for (const sql of this.deferred) this.db.exec(sql)
    this.deferred.length = 0
  }
}

/**
 * Where the time goes, profiled on 1,000,000 generated events into all nine read models (~30 s on 2
 * shared cores, ~35,000 events/s, against ~11,000/s for the live runner catching up): the records
 * projection's own SQLite work 23%, reading the log 15% and decoding its msgpack 12%, the deferred index
 * builds at the end 13%, the audit index's inserts 12%, GC 10%. No single step is left that a runner
 * could remove; 200,000 events/s (5 µs an event) would need cheaper projections (one plain insert
 * costs ~2.7 µs on this machine) or applying them in parallel, which one SQLite file does not allow.
 *
 * Replays the log into projections that start EMPTY (a fresh database: their tables are created here),
 * the way the projection runner would, only in large batches and without the live runner's per-batch
 * machinery (subscription, waiters, listeners). Each batch is one transaction holding the events and
 * the projections' checkpoints, so a database that stops half-way is still consistent. Between batches
 * the fiber yields, so an interruption (Ctrl-C) stops it cleanly.
 */
export const replayProjections = (
  db: Database.Database,
  projections: ReadonlyArray<Projection>,
  read: ReplaySource,
  options: ReplayOptions
): Effect.Effect<ReplayResult, ReplayFailed> =>
  Effect.gen(function*() {
    const batchSize = options.batchSize ?? defaultReplayBatchSize
    const targets = projections.map((_, i) => Math.min(options.targets?.[i] ?? options.upTo, options.upTo))
    const applied = projections.map(() => 0)
    const writeCheckpoint = db.prepare<[string, number, number]>(
      "INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position"
    )
    yield* Effect.try({
      try: () =>
        db.transaction(() => {
          for (const projection of projections) {
            projection.setup(db)
            writeCheckpoint.run(projection.name, projection.version, 0)
          }
        })(),
      catch: (cause) => new ReplayFailed({ message: `setting up the read models failed: ${describe(cause)}` })
    })

    const mode = options.indexes ?? "deferred"
    const deferred = mode === "immediate" ? undefined : new DeferredIndexes(db)
    const indexes = {
      collect: () => deferred?.collect(),
      build: () => (mode === "deferred" ? deferred?.build() : undefined)
    }
    const count = projections.length
    const applyBatch = db.transaction((events: ReadonlyArray<RecordedEvent>) => {
      for (const event of events) {
        const position = event.position
        for (let i = 0; i < count; i++) {
          if (position <= targets[i]!) projections[i]!.apply(db, event)
        }
      }
      indexes.collect()
      const last = events[events.length - 1]!.position
      for (let i = 0; i < count; i++) {
        const position = Math.min(last, targets[i]!)
        if (position !== applied[i]) {
          writeCheckpoint.run(projections[i]!.name, projections[i]!.version, position)
          applied[i] = position
        }
      }
    })

    yield* Effect.try({
      try: () => indexes.collect(),
      catch: (cause) => new ReplayFailed({ message: `preparing the read models failed: ${describe(cause)}` })
    })

    let next = 1
    let events = 0
    let position = 0
    while (next <= options.upTo) {
      const from = next
      const batch = yield* Effect.try({
        try: () => read(from, Math.min(batchSize, options.upTo - from + 1)),
        catch: (cause) => new ReplayFailed({ message: `reading the log from position ${from} failed: ${describe(cause)}` })
      })
      // A source that is not capped at `upTo` may overshoot it (positions can have gaps): trim.
      const page = batch.events.length > 0 && batch.events[batch.events.length - 1]!.position > options.upTo
        ? batch.events.filter((event) => event.position <= options.upTo)
        : batch.events
      if (page.length === 0) break
      yield* Effect.try({
        try: () => applyBatch(page),
        catch: (cause) =>
          new ReplayFailed({
            message: `applying events ${page[0]!.position}..${page[page.length - 1]!.position} failed: ${describe(cause)}`
          })
      })
      events += page.length
      position = page[page.length - 1]!.position
      next = batch.next
      options.onBatch?.(position, events)
      yield* Effect.yieldNow
    }
    yield* Effect.try({
      try: () => indexes.build(),
      catch: (cause) => new ReplayFailed({ message: `building the read models' indexes failed: ${describe(cause)}` })
    })
    return { events, position }
  })
