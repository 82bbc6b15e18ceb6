import type Database from "better-sqlite3"
import { Effect } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { EventStore, uuidv7, type EventStoreService, type NewEvent } from "@machhub/core"
import { makeProjectionRunner, openReadModelDatabase, usersProjection, type Projection } from "@machhub/projections"
import { tempDir } from "../support/temp.js"

const meta = { domain: "acme", actor: { kind: "system" as const, id: "test" }, correlationId: uuidv7(), causationId: null, commandId: null, at: new Date().toISOString() }
const registered = (i: number): NewEvent => ({
  id: uuidv7(),
  type: "UserRegistered",
  data: { userId: `u${i}`, username: `user${i}`, passwordHash: `scrypt$h${i}`, memberships: [{ domain: "acme", groups: ["g"] }] },
  meta
})

/** Counts rows per stream; `failOn` makes it throw on one event, to prove batches are all-or-nothing. */
const countingProjection = (failOn?: { value: string | undefined }): Projection => ({
  name: "counting",
  version: 1,
  setup: (db) => db.exec("CREATE TABLE IF NOT EXISTS counts (stream TEXT PRIMARY KEY, n INTEGER NOT NULL)"),
  reset: (db) => db.exec("DROP TABLE IF EXISTS counts"),
  apply: (db, event) => {
    if (failOn?.value !== undefined && event.stream === failOn.value) throw new Error("projection bug")
    db.prepare("INSERT INTO counts (stream, n) VALUES (?, 1) ON CONFLICT(stream) DO UPDATE SET n = n + 1").run(event.stream)
  }
})

const setup = Effect.gen(function*() {
  const dir = tempDir()
  yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
  const store = yield* makeSqliteEventStore({ path: `${dir.path}/events.db` })
  return { dir: dir.path, store }
})

const dump = (db: Database.Database, table: string) => db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()

const appendUsers = (store: EventStoreService, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => store.append(`user-acme-u${i}`, "no_stream", [registered(i)]), {
    concurrency: 16
  })

describe("projection runner", () => {
  it.effect("is not ready until it caught up with the log as it stood at start, then serves waitFor", () =>
    Effect.gen(function*() {
      const { dir, store } = yield* setup
      yield* appendUsers(store, 2_000)
      const db = openReadModelDatabase(`${dir}/rm.db`)
      const runner = yield* makeProjectionRunner(db, [usersProjection]).pipe(Effect.provideService(EventStore, store))
      expect(runner.isReady()).toBe(false)
      expect(yield* runner.waitFor(2_000, 30_000)).toBe(true)
      expect(runner.isReady()).toBe(true)
      expect((db.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n).toBe(2_000)
      // Read-your-writes: a new event is visible once waitFor(its position) returns.
      const appended = yield* store.append("user-acme-late", "no_stream", [registered(9_999)])
      expect(yield* runner.waitFor(appended.position)).toBe(true)
      expect(db.prepare("SELECT username FROM users WHERE user_id = 'u9999'").get()).toEqual({ username: "user9999" })
      db.close()
    }).pipe(Effect.scoped))

  it.effect("resumes from its checkpoint after a restart without applying anything twice", () =>
    Effect.gen(function*() {
      const { dir, store } = yield* setup
      yield* appendUsers(store, 100)
      const first = openReadModelDatabase(`${dir}/rm.db`)
      yield* Effect.scoped(Effect.gen(function*() {
        const runner = yield* makeProjectionRunner(first, [countingProjection()]).pipe(Effect.provideService(EventStore, store))
        yield* runner.waitFor(100)
      }))
      first.close()
      yield* appendUsers(store, 0)
      yield* store.append("user-acme-u0", 1, [registered(0)])
      const second = openReadModelDatabase(`${dir}/rm.db`)
      const runner = yield* makeProjectionRunner(second, [countingProjection()]).pipe(Effect.provideService(EventStore, store))
      yield* runner.waitFor(101)
      const total = (second.prepare("SELECT sum(n) AS n FROM counts").get() as { n: number }).n
      expect(total).toBe(101)
      second.close()
    }).pipe(Effect.scoped))

  it.live("applies a batch and its checkpoint in one transaction: a failing batch leaves neither", () =>
    Effect.gen(function*() {
      const { dir, store } = yield* setup
      yield* appendUsers(store, 10)
      const failOn = { value: "user-acme-u5" as string | undefined }
      const db = openReadModelDatabase(`${dir}/rm.db`)
      const runner = yield* makeProjectionRunner(db, [countingProjection(failOn)]).pipe(Effect.provideService(EventStore, store))
      expect(yield* runner.waitFor(10, 300)).toBe(false)
      // The failing batch was rolled back whole: no row, no checkpoint moved.
      const checkpoint = db.prepare("SELECT position FROM projection_checkpoints WHERE name = 'counting'").get() as { position: number }
      const rows = (db.prepare("SELECT count(*) AS n FROM counts").get() as { n: number }).n
      expect(rows).toBe(checkpoint.position)
      // Once the bug is gone the runner resumes from its checkpoint; a half-applied batch would show
      // up here as streams counted twice.
      failOn.value = undefined
      expect(yield* runner.waitFor(10, 10_000)).toBe(true)
      expect(dump(db, "counts").every((row) => (row as { n: number }).n === 1)).toBe(true)
      expect((db.prepare("SELECT count(*) AS n FROM counts").get() as { n: number }).n).toBe(10)
      db.close()
    }).pipe(Effect.scoped))

  it.effect("rebuilding from position 0 gives the same read model", () =>
    Effect.gen(function*() {
      const { dir, store } = yield* setup
      yield* appendUsers(store, 500)
      const db = openReadModelDatabase(`${dir}/rm.db`)
      const runner = yield* makeProjectionRunner(db, [usersProjection, countingProjection()]).pipe(Effect.provideService(EventStore, store))
      yield* runner.waitFor(500)
      const before = { users: dump(db, "users"), counts: dump(db, "counts") }
      yield* runner.rebuild()
      expect(runner.position()).toBe(500)
      expect({ users: dump(db, "users"), counts: dump(db, "counts") }).toEqual(before)
      db.close()
    }).pipe(Effect.scoped))
})
