import type Database from "better-sqlite3"
import { Cause, Context, Data, Deferred, Effect, Fiber, Layer, Schedule, type Scope, Stream } from "effect"
import { EventStore, type EventStoreUnavailable, type RecordedEvent } from "@machhub/core"
import type { Projection } from "./Projection.js"
import { ReadModelDatabase } from "./ReadModelDatabase.js"

export interface ProjectionRunnerService {
  /** Position every projection has applied up to. */
  readonly position: () => number
  /** True once the projections have caught up with the log as it stood when the runner started. */
  readonly isReady: () => boolean
  /** Resolves true once the projections reach `position` (read-your-writes), false after `timeoutMillis`. */
  readonly waitFor: (position: number, timeoutMillis?: number) => Effect.Effect<boolean>
  /** Drops every read model row and replays the whole log into them. */
  readonly rebuild: () => Effect.Effect<void, EventStoreUnavailable>
  /**
   * Calls `listener` with every batch right after it is committed and before anyone waiting for those
   * positions is released, so caches derived from read models are invalidated before a writer's
   * response goes out (a revocation is seen by the very next request).
   */
  readonly onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void
}

export class ProjectionFailed extends Data.TaggedError("ProjectionFailed")<{ readonly message: string }> {}

interface Waiter {
  readonly position: number
  readonly done: Deferred.Deferred<boolean>
  /** Date.now() after which the wait answers false. */
  readonly deadline: number
}

/**
 * Feeds committed events to projections. All projections share one subscription; each batch of events
 * is applied in ONE SQLite transaction together with the checkpoints, so the read model and its
 * checkpoint never disagree, even after a crash.
 */
export const makeProjectionRunner = (
  db: Database.Database,
  projections: ReadonlyArray<Projection>
): Effect.Effect<ProjectionRunnerService, EventStoreUnavailable, EventStore | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const readCheckpoint = db.prepare<[string], { version: number; position: number }>(
      "SELECT version, position FROM projection_checkpoints WHERE name = ?"
    )
    const writeCheckpoint = db.prepare<[string, number, number]>(
      "INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position"
    )

    const prepare = db.transaction(() => {
      const positions: Array<number> = []
      for (const projection of projections) {
        projection.setup(db)
        const checkpoint = readCheckpoint.get(projection.name)
        if (checkpoint !== undefined && checkpoint.version === projection.version) {
          positions.push(checkpoint.position)
          continue
        }
        // New projection, or its shape changed: start it over from the beginning of the log.
        projection.reset(db)
        projection.setup(db)
        writeCheckpoint.run(projection.name, projection.version, 0)
        positions.push(0)
      }
      return positions
    })
    const checkpoints = prepare()

    const applyBatch = db.transaction((events: ReadonlyArray<RecordedEvent>) => {
      for (let i = 0; i < projections.length; i++) {
        const projection = projections[i]!
        const from = checkpoints[i]!
        let last = from
        for (const event of events) {
          if (event.position <= from) continue
          projection.apply(db, event)
          last = event.position
        }
        if (last !== from) {
          writeCheckpoint.run(projection.name, projection.version, last)
          checkpoints[i] = last
        }
      }
    })

    let position = checkpoints.length === 0 ? 0 : Math.min(...checkpoints)
    const startHead = yield* store.headPosition
    let ready = position >= startHead
    let waiters: Array<Waiter> = []
    const listeners: Array<(events: ReadonlyArray<RecordedEvent>) => void> = []

    const settleWaiters = () => {
      if (waiters.length === 0) return
      const still: Array<Waiter> = []
      for (const waiter of waiters) {
        if (waiter.position <= position) Deferred.doneUnsafe(waiter.done, Effect.succeed(true))
        else still.push(waiter)
      }
      waiters = still
    }

    const consume = (from: number): Effect.Effect<void> =>
      Effect.suspend(() => store.subscribe(Math.max(from, position) + 1).pipe(
        Stream.runForEachArray((events) =>
          Effect.try({
            try: () => {
              applyBatch(events)
              // A throwing listener fails the batch like a projection would: nothing is released stale.
              for (const listener of listeners) listener(events)
              position = events[events.length - 1]!.position
              if (!ready && position >= startHead) ready = true
              settleWaiters()
            },
            catch: (cause) =>
              new ProjectionFailed({
                message: `applying events ${events[0]!.position}..${events[events.length - 1]!.position} failed: ${cause instanceof Error ? cause.message : String(cause)}`
              })
          })
        )
      )).pipe(
        // Neither a store outage nor a failing batch (rolled back whole) stops the read models for
        // good: log, wait, resume from the last committed checkpoint.
        Effect.tapError((error) => Effect.logWarning(`projections paused: ${error.message}; retrying in 1 s`)),
        Effect.retry({ schedule: Schedule.spaced("1 second") }),
        Effect.orDie,
        // Anything else (a defect) stops the read models: logged, not lost with the fiber.
        Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("projections stopped unexpectedly", cause))
      )

    yield* Effect.addFinalizer(() => Effect.sync(() => sweep !== undefined && clearInterval(sweep)))
    const scope = yield* Effect.scope
    let fiber = yield* Effect.forkIn(consume(position), scope)

    /**
     * Read-your-writes waits are on every mutation's path, so they share one sweep timer for their
     * deadlines instead of each arming its own.
     */
    let sweep: NodeJS.Timeout | undefined
    const sweepExpired = () => {
      const now = Date.now()
      const still: Array<Waiter> = []
      for (const waiter of waiters) {
        if (waiter.deadline <= now) Deferred.doneUnsafe(waiter.done, Effect.succeed(false))
        else still.push(waiter)
      }
      waiters = still
      if (waiters.length === 0 && sweep !== undefined) {
        clearInterval(sweep)
        sweep = undefined
      }
    }

    // On every mutation's path: a plain function rather than Effect.fn, whose per-call steps (and,
    // traced, a captured stack) showed in createRecord's CPU profile.
    const waitFor = (target: number, timeoutMillis = 5_000) =>
      Effect.suspend(() => {
        if (target <= position) return Effect.succeed(true)
        const done = Deferred.makeUnsafe<boolean>()
        waiters.push({ position: target, done, deadline: Date.now() + timeoutMillis })
        if (sweep === undefined) {
          sweep = setInterval(sweepExpired, 50)
          sweep.unref()
        }
        return Deferred.await(done)
      })

    const rebuild = Effect.fn("ProjectionRunner.rebuild")(function*() {
      yield* Fiber.interrupt(fiber)
      db.transaction(() => {
        for (let i = 0; i < projections.length; i++) {
          const projection = projections[i]!
          projection.reset(db)
          projection.setup(db)
          writeCheckpoint.run(projection.name, projection.version, 0)
          checkpoints[i] = 0
        }
      })()
      position = 0
      const head = yield* store.headPosition
      fiber = yield* Effect.forkIn(consume(0), scope)
      yield* waitFor(head, 24 * 3_600_000)
    })

    return {
      position: () => position,
      isReady: () => ready,
      waitFor,
      rebuild,
      onApplied: (listener) => {
        listeners.push(listener)
      }
    } satisfies ProjectionRunnerService
  })

/** The projection runner of this node, feeding its read-model database from the log for the life of the layer. */
export class ProjectionRunner extends Context.Service<ProjectionRunner, ProjectionRunnerService>()("@machhub/projections/ProjectionRunner") {
  static readonly layer = (
    projections: ReadonlyArray<Projection>
  ): Layer.Layer<ProjectionRunner, EventStoreUnavailable, EventStore | ReadModelDatabase> =>
    Layer.effect(ProjectionRunner, ReadModelDatabase.use((db) => makeProjectionRunner(db, projections)))
}
