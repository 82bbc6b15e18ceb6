import { Effect, Exit } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { EventStore, makeActorSystem, type CommandReply } from "@machhub/core"
import { counterAggregate, flakyCounterAggregate, increment } from "../support/counterAggregate.js"
import { tempDir } from "../support/temp.js"

const withStore = Effect.gen(function*() {
  const dir = tempDir()
  yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
  return yield* makeSqliteEventStore({ path: `${dir.path}/events.db` })
})

describe("actor system", () => {
  it.effect("runs the commands of one aggregate strictly in order", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      const replies = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i),
        (i) => actors.handle(increment("c1", 1, i)),
        { concurrency: "unbounded" }
      )
      // The n-th command sent was the n-th decided: running totals and versions follow send order.
      expect(replies.map((r) => r.result)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
      expect(replies.map((r) => r.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
      const stream = yield* store.readStream("counter-acme-c1")
      expect(stream.map((e) => (e.data as { seq: number }).seq)).toEqual(Array.from({ length: 200 }, (_, i) => i))
    }).pipe(Effect.scoped))

  it.effect("runs different aggregates concurrently and records command metadata", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      const command = increment("meta", 2)
      const reply = yield* actors.handle(command)
      yield* Effect.forEach(["a", "b", "c", "d"], (id) => actors.handle(increment(id, 1)), { concurrency: "unbounded" })
      expect(actors.liveActors()).toBe(5)
      const [event] = yield* store.readStream("counter-acme-meta")
      expect(event!.meta).toMatchObject({ domain: "acme", actor: { kind: "system", id: "test" }, correlationId: command.correlationId, commandId: command.id })
      expect(reply).toMatchObject({ stream: "counter-acme-meta", version: 1, eventCount: 1, position: event!.position })
    }).pipe(Effect.scoped))

  it.live("passivates idle actors and reloads their state from the log on demand", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate], { idleMillis: 30 }).pipe(Effect.provideService(EventStore, store))
      yield* actors.handle(increment("p", 5))
      yield* actors.handle(increment("p", 5))
      expect(actors.liveActors()).toBe(1)
      for (let i = 0; i < 100 && actors.liveActors() > 0; i++) yield* Effect.sleep(10)
      expect(actors.liveActors()).toBe(0)
      const reply = yield* actors.handle(increment("p", 1))
      expect(reply.result).toBe(11)
      expect(reply.version).toBe(3)
    }).pipe(Effect.scoped))

  it.effect("two actor systems on one store (two nodes) never lose or duplicate an increment", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const nodeA = yield* makeActorSystem([counterAggregate], { maxConflictRetries: 50 }).pipe(Effect.provideService(EventStore, store))
      const nodeB = yield* makeActorSystem([counterAggregate], { maxConflictRetries: 50 }).pipe(Effect.provideService(EventStore, store))
      yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) => (i % 2 === 0 ? nodeA : nodeB).handle(increment("shared", 1, i)),
        { concurrency: "unbounded" }
      )
      const events = yield* store.readStream("counter-acme-shared")
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
      expect(new Set(events.map((e) => (e.data as { seq: number }).seq)).size).toBe(100)
      // Both nodes' views converge: the next command on either sees all 100.
      expect((yield* nodeA.handle(increment("shared", 1, 100))).result).toBe(101)
      expect((yield* nodeB.handle(increment("shared", 1, 101))).result).toBe(102)
    }).pipe(Effect.scoped))

  it.effect("gives up after a bounded number of conflicts with a clear conflict rejection", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const nodeA = yield* makeActorSystem([counterAggregate], { maxConflictRetries: 0 }).pipe(Effect.provideService(EventStore, store))
      const nodeB = yield* makeActorSystem([counterAggregate], { maxConflictRetries: 0 }).pipe(Effect.provideService(EventStore, store))
      yield* nodeA.handle(increment("x", 1))
      yield* nodeB.handle(increment("x", 1)) // B loads fresh state: fine
      const stale = yield* Effect.exit(nodeA.handle(increment("x", 1))) // A's view is one behind
      expect(Exit.isFailure(stale)).toBe(true)
      if (Exit.isFailure(stale)) expect(JSON.stringify(stale.cause)).toContain("conflict")
      // After the refusal A reloads, so the retry by the caller goes through.
      expect((yield* nodeA.handle(increment("x", 1))).result).toBe(3)
    }).pipe(Effect.scoped))

  it.effect("honours an expected version from the caller (If-Match) and refuses a stale one", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      yield* actors.handle(increment("v", 1, 0, { expectedVersion: "no_stream" }))
      const ok: CommandReply = yield* actors.handle(increment("v", 1, 1, { expectedVersion: 1 }))
      expect(ok.version).toBe(2)
      const stale = yield* Effect.flip(actors.handle(increment("v", 1, 2, { expectedVersion: 1 })))
      expect(stale).toMatchObject({ _tag: "CommandRejected", reason: "precondition_failed" })
    }).pipe(Effect.scoped))

  it.effect("turns rule violations, unknown categories and handler defects into typed errors and keeps serving", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([flakyCounterAggregate]).pipe(Effect.provideService(EventStore, store))
      expect(yield* Effect.flip(actors.handle(increment("f", -1)))).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(yield* Effect.flip(actors.handle(increment("f", 13)))).toMatchObject({ _tag: "CommandFailed" })
      expect(yield* Effect.flip(actors.handle({ ...increment("f", 1), category: "nope" }))).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(yield* Effect.flip(actors.handle({ ...increment("f", 1), domain: "Bad-Domain" }))).toMatchObject({ _tag: "CommandRejected" })
      expect((yield* actors.handle(increment("f", 2))).result).toBe(2)
    }).pipe(Effect.scoped))

  it.effect("keeps at most maxLiveActors in memory, passivating the oldest idle ones, without losing state", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate], { maxLiveActors: 100 }).pipe(Effect.provideService(EventStore, store))
      yield* Effect.forEach(Array.from({ length: 1_000 }, (_, i) => i), (i) => actors.handle(increment(`m${i}`, 1)), { concurrency: 50 })
      expect(actors.liveActors()).toBeLessThanOrEqual(100)
      // An evicted aggregate comes back with its history.
      expect((yield* actors.handle(increment("m0", 1))).result).toBe(2)
    }).pipe(Effect.scoped))

  it.effect("starts a newly generated aggregate without reading the store, and still honours the version check", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      expect((yield* actors.handle(increment("fresh", 1, 0, { newAggregate: true }))).version).toBe(1)
      // A wrong hint (the stream exists, written by someone else) costs a reload, not a lost update.
      yield* store.append("counter-acme-existing", "no_stream", [{ id: "0190f3c2-0000-7000-8000-0000000000e1", type: "Incremented", data: { by: 5, seq: 0 }, meta: { domain: "acme", actor: { kind: "system", id: "t" }, correlationId: "c", causationId: null, commandId: null, at: new Date().toISOString() } }])
      const reply = yield* actors.handle(increment("existing", 1, 1, { newAggregate: true }))
      expect(reply).toMatchObject({ version: 2, result: 6 })
    }).pipe(Effect.scoped))
})
