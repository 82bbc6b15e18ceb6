import { Effect } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { CommandOutcomeUnknown, CommandUnavailable, EventStore, EventStoreUnavailable, makeActorSystem, type EventStoreService } from "@machhub/core"
import { counterAggregate, increment } from "../support/counterAggregate.js"
import { tempDir } from "../support/temp.js"

/**
 * Commands carrying an idempotency key: the actor system answers a retry (same key, same actor, same
 * aggregate) with the first outcome, found in the meta of the events the first one appended, without
 * deciding again; and it names an append that may or may not have been stored as an unknown outcome.
 */

const withStore = Effect.gen(function*() {
  const dir = tempDir()
  yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
  return yield* makeSqliteEventStore({ path: `${dir.path}/events.db` })
})

const keyed = (aggregateId: string, by: number, key: string, actorId = "test") =>
  increment(aggregateId, by, 0, { idempotencyKey: key, actor: { kind: "user", id: actorId } })

describe("idempotent commands", () => {
  it.effect("answers a retry with the first reply, as of then, and appends nothing", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      const first = yield* actors.handle(keyed("c", 5, "k1"))
      yield* actors.handle(increment("c", 3))
      const retry = yield* actors.handle(keyed("c", 5, "k1"))
      // The total then (5), not now (8); the first command's version and position.
      expect(retry).toEqual({ ...first, replayed: true })
      expect(first).toMatchObject({ version: 1, result: 5, eventCount: 1 })
      const events = yield* store.readStream("counter-acme-c")
      expect(events).toHaveLength(2)
      expect(events[0]!.meta.idempotencyKey).toBe("k1")
      expect(events[1]!.meta.idempotencyKey).toBeUndefined()
    }).pipe(Effect.scoped))

  it.effect("answers a retry even when its If-Match no longer holds", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      const first = yield* actors.handle({ ...keyed("m", 1, "k"), expectedVersion: 0 })
      yield* actors.handle(increment("m", 1))
      const retry = yield* actors.handle({ ...keyed("m", 1, "k"), expectedVersion: 0 })
      expect(retry).toEqual({ ...first, replayed: true })
    }).pipe(Effect.scoped))

  it.effect("remembers keys from the log: after passivation and in a new actor system on the same store", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const before = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      const first = yield* before.handle(keyed("r", 2, "restart"))
      const after = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      expect(yield* after.handle(keyed("r", 2, "restart"))).toEqual({ ...first, replayed: true })
      expect(yield* store.readStream("counter-acme-r")).toHaveLength(1)
    }).pipe(Effect.scoped))

  it.effect("decides another actor's command with the same key", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))
      yield* actors.handle(keyed("o", 1, "shared", "alice"))
      const bobs = yield* actors.handle(keyed("o", 1, "shared", "bob"))
      expect(bobs).toMatchObject({ version: 2, result: 2 })
      expect(bobs.replayed).toBeUndefined()
    }).pipe(Effect.scoped))

  it.effect("remembers the most recent keys of an aggregate only (rememberedKeys)", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      const actors = yield* makeActorSystem([counterAggregate], { rememberedKeys: 2 }).pipe(Effect.provideService(EventStore, store))
      for (const key of ["a", "b", "c"]) yield* actors.handle(keyed("w", 1, key))
      expect((yield* actors.handle(keyed("w", 1, "c"))).replayed).toBe(true)
      // "a" fell out of the window: decided again.
      expect(yield* actors.handle(keyed("w", 1, "a"))).toMatchObject({ version: 4 })
    }).pipe(Effect.scoped))

  it.effect("names an append that may have been stored an unknown outcome; the keyed retry then gets it", () =>
    Effect.gen(function*() {
      const real = yield* withStore
      let loseNextAck = false
      let refuseNext = false
      // The store stores the append and then loses its acknowledgement (or refuses before storing).
      const store: EventStoreService = {
        ...real,
        append: (stream, expected, events) => {
          if (refuseNext) {
            refuseNext = false
            return Effect.fail(new EventStoreUnavailable({ reason: "not connected" }))
          }
          if (!loseNextAck) return real.append(stream, expected, events)
          loseNextAck = false
          return real.append(stream, expected, events).pipe(
            Effect.andThen(Effect.fail(new EventStoreUnavailable({ reason: "acknowledgement timed out", outcomeUnknown: true })))
          )
        }
      }
      const actors = yield* makeActorSystem([counterAggregate]).pipe(Effect.provideService(EventStore, store))

      refuseNext = true
      expect(yield* Effect.flip(actors.handle(keyed("u", 4, "refused")))).toBeInstanceOf(CommandUnavailable)
      expect(yield* real.readStream("counter-acme-u")).toHaveLength(0)

      loseNextAck = true
      const lost = yield* Effect.flip(actors.handle(keyed("u", 4, "lost")))
      expect(lost).toBeInstanceOf(CommandOutcomeUnknown)
      expect(lost.message).toMatch(/may have been stored/)
      const retry = yield* actors.handle(keyed("u", 4, "lost"))
      expect(retry).toMatchObject({ version: 1, result: 4, replayed: true })
      expect(yield* real.readStream("counter-acme-u")).toHaveLength(1)
    }).pipe(Effect.scoped))
})
