import type Database from "better-sqlite3"
import { Effect, Schedule, Stream } from "effect"
import type { EventBusService, EventStoreService } from "@machhub/core"

const NAME = "event-publisher"

/**
 * Publishes committed events to the event bus (NATS subjects `mh.evt.<domain>.<category>.<Type>`)
 * strictly after commit, by following the store itself. Its checkpoint is saved only after a batch
 * was published, so after a crash it resumes where it left off: at least once, never skipped.
 */
export const runEventPublisher = (store: EventStoreService, bus: EventBusService, db: Database.Database): Effect.Effect<void> => {
  db.exec("CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL)")
  const read = db.prepare<[string], { position: number }>("SELECT position FROM projection_checkpoints WHERE name = ?")
  const save = db.prepare<[string, number]>(
    "INSERT INTO projection_checkpoints (name, version, position) VALUES (?, 1, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position"
  )
  return Effect.suspend(() => {
    const from = (read.get(NAME)?.position ?? 0) + 1
    return store.subscribe(from).pipe(
      Stream.runForEachArray((events) =>
        bus.publish(events).pipe(Effect.andThen(Effect.sync(() => save.run(NAME, events[events.length - 1]!.position))))
      )
    )
  }).pipe(
    Effect.tapError((error) => Effect.logWarning(`event publication paused: ${error.message}; retrying`)),
    Effect.retry({ schedule: Schedule.spaced("1 second") }),
    Effect.orDie
  )
}
