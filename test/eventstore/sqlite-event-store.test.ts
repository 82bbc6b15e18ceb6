import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { EventStore, EventStoreUnavailable } from "@machhub/core"
import { makeSqliteEventStore, SqliteEventStore, type SqliteEventStoreOptions } from "@machhub/adapters"
import { eventStoreContract, newEvent, richData } from "../contracts/event-store.contract.js"

/** A temporary directory for the life of the current scope. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "machhub-sqlite-es-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** A fresh store on a real file in a temp dir; the store closes before the dir is removed. */
const freshStore = (options: Omit<SqliteEventStoreOptions, "path"> = {}) =>
  Effect.flatMap(tempDir, (dir) => makeSqliteEventStore({ ...options, path: join(dir, "events.db") }))

eventStoreContract("SQLite (synchronous=normal)", () => freshStore())
eventStoreContract("SQLite (synchronous=full)", () => freshStore({ synchronous: "full" }))
// Every append with binary data through the second connection on a worker thread (as terminal
// recordings are), the others on the event loop: both writers share the file and its versions.
eventStoreContract("SQLite (binary appends on the background writer)", () => freshStore({ backgroundAppendMinBytes: 0 }))

describe("SQLite event store", () => {
  it.live("data survives closing and reopening the same file, and positions continue", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = join(dir, "events.db")
      const events = [newEvent("A", richData), newEvent("B")]

      const first = yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* makeSqliteEventStore({ path })
        return yield* store.append("s", "no_stream", events)
      }))

      const store = yield* makeSqliteEventStore({ path })
      const read = yield* store.readStream("s")
      assert.deepStrictEqual(read.map((e) => e.id), events.map((e) => e.id))
      assert.deepStrictEqual(read[0]!.data, richData)
      assert.deepStrictEqual(read[0]!.meta, events[0]!.meta)
      assert.strictEqual(yield* store.headPosition, first.position)
      const next = yield* store.append("s", 2, [newEvent()])
      assert.strictEqual(next.version, 3)
      assert.isTrue(next.position > first.position)
      // Idempotency holds across restarts too.
      assert.isTrue((yield* store.append("s", "no_stream", events)).duplicate)
    }))

  it.live("closing leaves a complete database file: the WAL is checkpointed and removed", () =>
    Effect.gen(function*() {
      const path = join(yield* tempDir, "events.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* makeSqliteEventStore({ path })
        yield* Effect.forEach(Array.from({ length: 2000 }, (_, i) => i), (i) =>
          store.append(`s-${i % 50}`, "any", [newEvent()]), { concurrency: 64, discard: true })
        assert.isTrue(existsSync(`${path}-wal`))
      }))
      // Only the last connection to close removes the WAL: the checkpoint worker closed its own first.
      assert.isFalse(existsSync(`${path}-wal`))
      const count = new Database(path, { readonly: true })
      assert.strictEqual((count.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n, 2000)
      count.close()
    }))

  it.live("notices events another connection wrote to the same file", () =>
    Effect.gen(function*() {
      const path = join(yield* tempDir, "events.db")
      const store = yield* makeSqliteEventStore({ path })
      yield* store.append("s", "no_stream", [newEvent()])
      // Another writer (a repair script, say) appends version 2 behind the store's back.
      const other = new Database(path)
      other.prepare("INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, 's', 2, 'X', NULL, NULL)")
        .run(newEvent().id)
      other.close()
      assertWrongVersion(yield* Effect.flip(store.append("s", 1, [newEvent()])), 2)
      assert.strictEqual((yield* store.append("s", 2, [newEvent()])).version, 3)
    }))

  it.live("serves just-committed events from memory, and reads the file once another store wrote to it", () =>
    Effect.gen(function*() {
      const path = join(yield* tempDir, "events.db")
      const a = yield* makeSqliteEventStore({ path })
      const b = yield* makeSqliteEventStore({ path })
      for (let i = 0; i < 3; i++) yield* a.append(`a-${i}`, "no_stream", [newEvent()])
      const fromMemory = yield* a.readAll(2, 10)
      assert.deepStrictEqual(fromMemory.map((e) => e.position), [2, 3])
      yield* b.append("b-0", "no_stream", [newEvent(), newEvent()])
      // A's recent-events memory knows nothing of B's commit; A must see it anyway.
      assert.deepStrictEqual((yield* a.readAll(1, 10)).map((e) => e.stream), ["a-0", "a-1", "a-2", "b-0", "b-0"])
      yield* a.append("a-3", "no_stream", [newEvent()])
      assert.deepStrictEqual((yield* a.readAll(4, 10)).map((e) => e.position), [4, 5, 6])
      // And what memory serves is what the file holds.
      const fromFile = yield* b.readAll(1, 10)
      assert.deepStrictEqual((yield* a.readAll(1, 10)).map((e) => [e.id, e.stream, e.version, e.position]), fromFile.map((e) => [e.id, e.stream, e.version, e.position]))
    }))

  it.live("group commit: 64 concurrent appends share a handful of transactions", () =>
    Effect.gen(function*() {
      const store = yield* freshStore()
      const before = yield* store.stats
      const results = yield* Effect.forEach(
        Array.from({ length: 64 }, (_, i) => i),
        (i) => store.append(`s-${i}`, "no_stream", [newEvent()]),
        { concurrency: "unbounded" }
      )
      const after = yield* store.stats
      assert.strictEqual(results.length, 64)
      assert.strictEqual(after.appends - before.appends, 64)
      const transactions = after.transactions - before.transactions
      assert.isTrue(transactions >= 1 && transactions <= 4, `64 appends took ${transactions} transactions`)
      assert.strictEqual((yield* store.readAll(1, 100)).length, 64)
    }))

  it.live("group commit: later requests in a batch see the versions written earlier in it", () =>
    Effect.gen(function*() {
      const store = yield* freshStore()
      const before = yield* store.stats
      // All submitted in the same turn, so they land in one batch, in order.
      const results = yield* Effect.all(
        [
          store.append("s", 0, [newEvent(), newEvent()]),
          store.append("s", 2, [newEvent()]),
          Effect.exit(store.append("s", 0, [newEvent()])),
          store.append("s", "exists", [newEvent()])
        ],
        { concurrency: "unbounded" }
      )
      assert.strictEqual((yield* store.stats).transactions - before.transactions, 1)
      assert.strictEqual(results[0].version, 2)
      assert.strictEqual(results[1].version, 3)
      const conflict = results[2]
      assert.isTrue(Exit.isFailure(conflict))
      const error = Exit.findErrorOption(conflict)
      assert.isTrue(error._tag === "Some" && error.value._tag === "WrongExpectedVersion" && error.value.actual === 3)
      assert.strictEqual(results[3].version, 4)
    }))

  it.live("flush commits queued appends immediately", () =>
    Effect.gen(function*() {
      const store = yield* freshStore()
      const fibers = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) => Effect.forkChild(store.append(`s-${i}`, "any", [newEvent()]), { startImmediately: true })
      )
      yield* store.flush
      assert.strictEqual((yield* store.readAll(1, 100)).length, 10)
      yield* Fiber.joinAll(fibers)
    }))

  it.live("closing the store commits queued appends, ends subscriptions, then fails further calls", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const store = yield* makeSqliteEventStore({ path: join(yield* tempDir, "events.db") }).pipe(Scope.provide(scope))
      yield* store.append("s", "any", [newEvent()])
      const subscriber = yield* store.subscribe(1).pipe(Stream.runCollect, Effect.forkChild)
      yield* Effect.sleep("20 millis") // the subscriber has caught up and is waiting live
      const queued = yield* Effect.forkChild(store.append("s", "any", [newEvent()]), { startImmediately: true })

      yield* Scope.close(scope, Exit.void)

      assert.strictEqual((yield* Fiber.join(queued)).version, 2)
      const received = yield* Fiber.join(subscriber).pipe(Effect.timeout("5 seconds"))
      assert.isTrue(received.length >= 1)
      const error = yield* Effect.flip(store.append("s", "any", [newEvent()]))
      assert.instanceOf(error, EventStoreUnavailable)
      assert.match(error.reason, /closed/)
      assert.instanceOf(yield* Effect.flip(store.readStream("s")), EventStoreUnavailable)
      assert.instanceOf(yield* Effect.flip(store.headPosition), EventStoreUnavailable)
      assert.instanceOf(yield* Effect.flip(store.readAll(1, 10)), EventStoreUnavailable)
    }))

  it.live("closing under continuous load completes, and the appenders are told the store closed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const path = join(yield* tempDir, "events.db")
      const store = yield* makeSqliteEventStore({ path }).pipe(Scope.provide(scope))
      // Appenders are resumed synchronously by the commit, so each queues its next append at once.
      const acknowledged = Array.from({ length: 64 }, () => 0)
      const appender = (i: number) =>
        Effect.gen(function*() {
          for (;;) acknowledged[i] = (yield* store.append(`s-${i}`, acknowledged[i]!, [newEvent()])).version
        })
      const appenders = yield* Effect.forEach(acknowledged, (_, i) => Effect.forkChild(Effect.flip(appender(i))))
      yield* Effect.sleep("50 millis")
      yield* Scope.close(scope, Exit.void).pipe(Effect.timeout("5 seconds"))
      for (const error of yield* Fiber.joinAll(appenders)) {
        assert.instanceOf(error, EventStoreUnavailable)
        assert.match(error.reason, /closed/)
      }
      // Exactly the acknowledged appends are in the file: none lost, none written after being refused.
      const reopened = yield* makeSqliteEventStore({ path })
      for (let i = 0; i < 64; i++) {
        assert.strictEqual((yield* reopened.readStream(`s-${i}`)).length, acknowledged[i])
      }
      assert.isTrue(acknowledged.every((version) => version > 0))
    }))

  it.live("a full disk fails the offending append with EventStoreUnavailable, not the rest of its batch", () =>
    Effect.gen(function*() {
      const store = yield* freshStore({ maxSizeBytes: 256 * 1024 })
      const tooBig = newEvent("Huge", { blob: "x".repeat(1024 * 1024) })
      const [big, small] = yield* Effect.all(
        [Effect.exit(store.append("big", "any", [tooBig])), store.append("small", "any", [newEvent()])],
        { concurrency: "unbounded" }
      )
      assert.isTrue(Exit.isFailure(big))
      const error = Exit.findErrorOption(big)
      assert.isTrue(error._tag === "Some" && error.value instanceof EventStoreUnavailable)
      assert.match((error as { value: EventStoreUnavailable }).value.reason, /SQLITE_FULL/)
      assert.strictEqual(small.version, 1)
      assert.deepStrictEqual((yield* store.readAll(1, 10)).map((e) => e.stream), ["small"])
    }))

  it.live("cannot open a database in a missing directory: EventStoreUnavailable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(makeSqliteEventStore({ path: "/nonexistent/dir/events.db" }))
      assert.instanceOf(error, EventStoreUnavailable)
      assert.match(error.reason, /cannot open/)
    }))

  it.live("an append interrupted while queued is not written", () =>
    Effect.gen(function*() {
      const store = yield* freshStore()
      const fiber = yield* Effect.forkChild(store.append("s", "any", [newEvent()]), { startImmediately: true })
      yield* Fiber.interrupt(fiber)
      yield* store.flush
      assert.deepStrictEqual(yield* store.readStream("s"), [])
    }))

  it.live("SqliteEventStore.layer provides the EventStore port", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const program = Effect.gen(function*() {
        const store = yield* EventStore
        yield* store.append("s", "no_stream", [newEvent()])
        return yield* store.readStream("s")
      })
      const read = yield* program.pipe(Effect.provide(SqliteEventStore.layer({ path: join(dir, "events.db") })))
      assert.strictEqual(read.length, 1)
      // The layer's scope closed after the program: the file is complete and reopenable.
      const reopened = yield* Effect.provide(
        Effect.flatMap(EventStore, (store) => store.readStream("s")),
        SqliteEventStore.layer({ path: join(dir, "events.db") })
      )
      assert.strictEqual(reopened.length, 1)
    }))

  it.live("a layer can be built and torn down repeatedly", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const layer = SqliteEventStore.layer({ path: join(dir, "events.db") })
      for (let i = 0; i < 3; i++) {
        yield* Effect.scoped(Layer.build(layer))
      }
    }))
})

const assertWrongVersion = (error: unknown, actual: number): void => {
  assert.isTrue(
    (error as { _tag?: string })._tag === "WrongExpectedVersion" && (error as { actual: number }).actual === actual,
    `expected WrongExpectedVersion(actual ${actual}), got ${String(error)}`
  )
}
