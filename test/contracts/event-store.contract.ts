import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, type Scope, Stream } from "effect"
import {
  type AppendResult,
  type EventStoreService,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  systemActor,
  WrongExpectedVersion
} from "@machhub/core"

/**
 * The behaviour every EventStore adapter (SQLite, JetStream, KurrentDB) must show. `makeStore` opens a
 * FRESH, empty store in the test's scope (closing the scope closes the store); no test shares a store.
 *
 * Only what the port promises is asserted: positions are increasing but not necessarily contiguous, so
 * expectations about the global log are made by comparing with `readAll`, never with computed positions.
 * Event data stays within what JSON can carry, so that any encoding passes.
 */
export const eventStoreContract = <E>(
  name: string,
  makeStore: () => Effect.Effect<EventStoreService, E, Scope.Scope>
): void => {
  describe(`EventStore contract: ${name}`, () => {
    describe("append and readStream", () => {
      it.live("round-trips data and meta exactly", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const events = [
            newEvent("MachineRegistered", richData),
            newEvent("Renamed", { name: "Presse №7 — 日本語 🚀", previous: null }),
            newEvent("Emptied", {})
          ]
          const result = yield* store.append("machine-a", "no_stream", events)
          assert.strictEqual(result.version, 3)
          assert.isFalse(result.duplicate)
          assert.isTrue(result.firstPosition >= 1)
          assert.isTrue(result.position > result.firstPosition)

          const read = yield* store.readStream("machine-a")
          assert.deepStrictEqual(read.map((e) => e.version), [1, 2, 3])
          read.forEach((recorded, i) => assertRecorded(recorded, events[i]!, "machine-a"))
          assert.strictEqual(read[0]!.position, result.firstPosition)
          assert.strictEqual(read[2]!.position, result.position)
          assertIncreasing(read.map((e) => e.position))
        }))

      it.live("reads a stream from a version, and an unknown stream as empty", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("s", "any", [newEvent(), newEvent(), newEvent(), newEvent()])
          assert.deepStrictEqual((yield* store.readStream("s", 3)).map((e) => e.version), [3, 4])
          assert.deepStrictEqual(yield* store.readStream("s", 5), [])
          assert.deepStrictEqual(yield* store.readStream("nope"), [])
        }))

      it.live("reads at most `limit` events of a stream when asked, from a version", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("s", "any", [newEvent(), newEvent(), newEvent(), newEvent(), newEvent()])
          yield* store.append("t", "any", [newEvent()])
          assert.deepStrictEqual((yield* store.readStream("s", 1, 2)).map((e) => e.version), [1, 2])
          assert.deepStrictEqual((yield* store.readStream("s", 2, 3)).map((e) => e.version), [2, 3, 4])
          assert.deepStrictEqual((yield* store.readStream("s", 4, 10)).map((e) => e.version), [4, 5])
          assert.deepStrictEqual(yield* store.readStream("s", 1, 0), [])
          assert.deepStrictEqual(yield* store.readStream("s", 6, 1), [])
          assert.deepStrictEqual((yield* store.readStream("s", 3, 1)), (yield* store.readStream("s")).slice(2, 3))
        }))

      it.live("keeps streams apart", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("a", "any", [newEvent("A1")])
          yield* store.append("b", "any", [newEvent("B1"), newEvent("B2")])
          yield* store.append("a", "any", [newEvent("A2")])
          assert.deepStrictEqual((yield* store.readStream("a")).map((e) => [e.type, e.version]), [["A1", 1], ["A2", 2]])
          assert.deepStrictEqual((yield* store.readStream("b")).map((e) => [e.type, e.version]), [["B1", 1], ["B2", 2]])
        }))

      it.live("appending nothing is allowed, returns the current version and still checks the expectation", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          assert.strictEqual((yield* store.append("s", "no_stream", [])).version, 0)
          yield* store.append("s", "any", [newEvent(), newEvent()])
          const result = yield* store.append("s", 2, [])
          assert.strictEqual(result.version, 2)
          assert.isFalse(result.duplicate)
          assertConflict(yield* Effect.flip(store.append("s", 1, [])), "s", 2)
          assert.strictEqual((yield* store.readStream("s")).length, 2)
        }))

      it.live("rejects invalid input with a failure, not a throw or a defect", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const invalid: ReadonlyArray<readonly [string, ExpectedVersion, ReadonlyArray<NewEvent>]> = [
            ["", "any", [newEvent()]],
            ["s", -1, [newEvent()]],
            ["s", 1.5, [newEvent()]],
            ["s", "any", [{ ...newEvent(), id: "" }]],
            ["s", "any", [{ ...newEvent(), id: 42 as unknown as string }]],
            ["s", "any", [{ ...newEvent(), type: undefined as unknown as string }]],
            ["s", "any", [newEvent(), null as unknown as NewEvent]]
          ]
          for (const [stream, expected, events] of invalid) {
            const exit = yield* Effect.exit(Effect.suspend(() => store.append(stream, expected, events)))
            assert.isTrue(Exit.isFailure(exit))
            const error = Exit.findErrorOption(exit)
            assert.isTrue(error._tag === "Some", `expected a failure for ${JSON.stringify([stream, expected])}`)
          }
          assert.deepStrictEqual(yield* store.readAll(1, 100), [])
        }))
    })

    describe("expected version", () => {
      it.live("any: always appends", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          assert.strictEqual((yield* store.append("s", "any", [newEvent()])).version, 1)
          assert.strictEqual((yield* store.append("s", "any", [newEvent()])).version, 2)
        }))

      it.live("no_stream: succeeds on a new stream, fails with the actual version on an existing one", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          assert.strictEqual((yield* store.append("s", "no_stream", [newEvent(), newEvent()])).version, 2)
          assertConflict(yield* Effect.flip(store.append("s", "no_stream", [newEvent()])), "s", 2, "no_stream")
        }))

      it.live("exists: fails with actual 0 on a new stream, succeeds on an existing one", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          assertConflict(yield* Effect.flip(store.append("s", "exists", [newEvent()])), "s", 0, "exists")
          yield* store.append("s", "any", [newEvent()])
          assert.strictEqual((yield* store.append("s", "exists", [newEvent()])).version, 2)
        }))

      it.live("exact version: succeeds when it matches (0 = empty), fails with the actual version otherwise", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          assertConflict(yield* Effect.flip(store.append("s", 1, [newEvent()])), "s", 0, 1)
          assert.strictEqual((yield* store.append("s", 0, [newEvent()])).version, 1)
          assert.strictEqual((yield* store.append("s", 1, [newEvent(), newEvent()])).version, 3)
          assertConflict(yield* Effect.flip(store.append("s", 0, [newEvent()])), "s", 3, 0)
          assertConflict(yield* Effect.flip(store.append("s", 2, [newEvent()])), "s", 3, 2)
          assertConflict(yield* Effect.flip(store.append("s", 4, [newEvent()])), "s", 3, 4)
          assert.strictEqual((yield* store.readStream("s")).length, 3)
        }))
    })

    describe("idempotency", () => {
      it.live("re-appending the same event ids returns the original result and stores nothing new", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("s", "any", [newEvent()])
          const events = [newEvent(), newEvent(), newEvent()]
          const first = yield* store.append("s", 1, events)
          // A retry after a lost acknowledgement: same ids, same (now stale) expectation.
          const again = yield* store.append("s", 1, events)
          assert.isTrue(again.duplicate)
          assert.deepStrictEqual(
            [again.version, again.firstPosition, again.position],
            [first.version, first.firstPosition, first.position]
          )
          const withAny = yield* store.append("s", "any", events)
          assert.isTrue(withAny.duplicate)
          assert.strictEqual(withAny.version, 4)

          const all = yield* store.readAll(1, 100)
          assert.strictEqual(all.length, 4)
          assert.strictEqual(new Set(all.map((e) => e.id)).size, 4)
        }))

      it.live("the same append submitted twice at once is stored once", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const events = [newEvent(), newEvent()]
          const [a, b] = yield* Effect.all([store.append("s", 0, events), store.append("s", 0, events)], {
            concurrency: "unbounded"
          })
          assert.deepStrictEqual([a.duplicate, b.duplicate].sort(), [false, true])
          assert.deepStrictEqual([a.version, a.position], [b.version, b.position])
          assert.strictEqual((yield* store.readAll(1, 100)).length, 2)
        }))
    })

    describe("atomicity", () => {
      it.live("a multi-event append that conflicts writes none of its events", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("s", "any", [newEvent()])
          yield* Effect.flip(store.append("s", 0, [newEvent(), newEvent(), newEvent()]))
          assert.strictEqual((yield* store.readAll(1, 100)).length, 1)
          assert.strictEqual(yield* store.headPosition, (yield* store.readAll(1, 1))[0]!.position)
        }))

      it.live("a multi-event append with one invalid event writes none of them", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const bad = { ...newEvent(), type: "" }
          yield* Effect.flip(store.append("s", "any", [newEvent(), newEvent(), bad]))
          assert.deepStrictEqual(yield* store.readAll(1, 100), [])
          assert.strictEqual(yield* store.headPosition, 0)
        }))

      it.live("an append that reuses an id stored elsewhere fails and writes none of its events", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const taken = newEvent()
          yield* store.append("a", "any", [taken])
          yield* Effect.flip(store.append("b", "any", [newEvent(), taken]))
          yield* Effect.flip(store.append("b", "any", [taken]))
          // A partial repeat of an earlier append is not a retry of it.
          yield* Effect.flip(store.append("a", "any", [taken, newEvent()]))
          assert.strictEqual((yield* store.readStream("a")).length, 1)
          assert.deepStrictEqual(yield* store.readStream("b"), [])
          assert.strictEqual((yield* store.readAll(1, 100)).length, 1)
        }))

      it.live("one request's conflict does not fail concurrent requests", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const results = yield* Effect.forEach(
            Array.from({ length: 10 }, (_, i) => i),
            (i) => Effect.exit(store.append(`s-${i}`, i % 2 === 0 ? "no_stream" : "exists", [newEvent(), newEvent()])),
            { concurrency: "unbounded" }
          )
          results.forEach((exit, i) => assert.strictEqual(Exit.isSuccess(exit), i % 2 === 0))
          assert.strictEqual((yield* store.readAll(1, 100)).length, 10)
        }))
    })

    describe("readAll and headPosition", () => {
      it.live("headPosition is 0 on an empty store, then the position of the last committed event", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          assert.strictEqual(yield* store.headPosition, 0)
          const a = yield* store.append("a", "any", [newEvent(), newEvent()])
          assert.strictEqual(yield* store.headPosition, a.position)
          const b = yield* store.append("b", "any", [newEvent()])
          assert.isTrue(b.position > a.position)
          assert.strictEqual(yield* store.headPosition, b.position)
        }))

      it.live("pages through the global log in commit order, from an inclusive position, at most limit", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const appended: Array<NewEvent> = []
          for (let i = 0; i < 25; i++) {
            const batch = Array.from({ length: (i % 3) + 1 }, () => newEvent("E", { i }))
            yield* store.append(`s-${i % 4}`, "any", batch)
            appended.push(...batch)
          }
          const all = yield* store.readAll(1, 1000)
          assert.deepStrictEqual(all.map((e) => e.id), appended.map((e) => e.id))
          assertIncreasing(all.map((e) => e.position))

          const paged: Array<RecordedEvent> = []
          let from = 1
          for (;;) {
            const page = yield* store.readAll(from, 7)
            assert.isTrue(page.length <= 7)
            if (page.length === 0) break
            paged.push(...page)
            from = page[page.length - 1]!.position + 1
          }
          assert.deepStrictEqual(paged, all)

          const middle = all[10]!
          const fromMiddle = yield* store.readAll(middle.position, 5)
          assert.deepStrictEqual(fromMiddle, all.slice(10, 15))
          assert.deepStrictEqual(yield* store.readAll((yield* store.headPosition) + 1, 10), [])
          assert.deepStrictEqual(yield* store.readAll(1, 0), [])
        }))

      it.live("readAll and readStream return the same recorded events", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("a", "any", [newEvent("X", richData), newEvent()])
          yield* store.append("b", "any", [newEvent()])
          const all = yield* store.readAll(1, 10)
          assert.deepStrictEqual(all.filter((e) => e.stream === "a"), [...(yield* store.readStream("a"))])
        }))
    })

    describe("subscribe", () => {
      it.live("catches up from 1, then goes live, with no gap and no duplicate (appends during catch-up)", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          for (let i = 0; i < 12; i++) {
            yield* store.append(`pre-${i % 3}`, "any", Array.from({ length: 100 }, () => newEvent("Pre")))
          }
          const live = 300
          const total = 1200 + live
          const subscriber = yield* store.subscribe(1).pipe(
            // Yielding per event keeps the subscriber in catch-up while the appends below run.
            Stream.tap(() => Effect.yieldNow),
            Stream.take(total),
            Stream.runCollect,
            Effect.timeout("20 seconds"),
            Effect.forkChild
          )
          yield* Effect.forEach(
            Array.from({ length: live }, (_, i) => i),
            (i) => store.append(`live-${i % 7}`, "any", [newEvent("Live", { i })]),
            { concurrency: 8, discard: true }
          )
          const received = yield* Fiber.join(subscriber)
          const log = yield* store.readAll(1, total + 10)
          assert.strictEqual(log.length, total)
          assert.deepStrictEqual(received.map((e) => e.id), log.map((e) => e.id))
          assertIncreasing(received.map((e) => e.position))
        }))

      it.live("a subscriber on an empty store receives events appended later", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const subscriber = yield* store.subscribe(1).pipe(
            Stream.take(3),
            Stream.runCollect,
            Effect.timeout("10 seconds"),
            Effect.forkChild
          )
          yield* Effect.sleep("20 millis")
          const events = [newEvent("A"), newEvent("B"), newEvent("C")]
          yield* store.append("s", "any", [events[0]!])
          yield* Effect.sleep("5 millis")
          yield* store.append("s", "any", events.slice(1))
          const received = yield* Fiber.join(subscriber)
          received.forEach((recorded, i) => assertRecorded(recorded, events[i]!, "s"))
        }))

      it.live("subscribes from the middle of the log", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          for (let i = 0; i < 30; i++) yield* store.append(`s-${i % 3}`, "any", [newEvent("E", { i })])
          const all = yield* store.readAll(1, 100)
          const from = all[10]!.position
          const subscriber = yield* store.subscribe(from).pipe(
            Stream.take(25),
            Stream.runCollect,
            Effect.timeout("10 seconds"),
            Effect.forkChild
          )
          for (let i = 30; i < 35; i++) yield* store.append(`s-${i % 3}`, "any", [newEvent("E", { i })])
          const received = yield* Fiber.join(subscriber)
          assert.deepStrictEqual(received, yield* store.readAll(from, 25))
          assert.deepStrictEqual(received.map((e) => (e.data as { i: number }).i), range(10, 35))
        }))

      it.live("stops cleanly when its fiber is interrupted", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          yield* store.append("s", "any", [newEvent()])
          const subscriber = yield* store.subscribe(1).pipe(Stream.runDrain, Effect.forkChild)
          yield* Effect.sleep("20 millis")
          yield* Fiber.interrupt(subscriber).pipe(Effect.timeout("5 seconds"))
          // The store keeps working for everybody else.
          assert.strictEqual((yield* store.append("s", 1, [newEvent()])).version, 2)
        }))
    })

    describe("concurrency", () => {
      it.live("many writers racing on one stream: one winner per version, no gap, nothing lost", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const writers = 20
          const target = 500
          // Each writer appends at the version it believes current; on a conflict it adopts the actual one.
          const writer = (w: number) =>
            Effect.gen(function*() {
              const won: Array<{ readonly version: number; readonly id: string }> = []
              let known = 0
              while (known < target) {
                const event = newEvent("Raced", { writer: w })
                const outcome = yield* store.append("contended", known, [event]).pipe(
                  Effect.catchTag("WrongExpectedVersion", (conflict) => Effect.succeed(conflict))
                )
                if (outcome instanceof WrongExpectedVersion) {
                  assert.isTrue(outcome.actual > known, "a conflict reports a newer version")
                  known = outcome.actual
                } else {
                  assert.strictEqual(outcome.version, known + 1)
                  won.push({ version: outcome.version, id: event.id })
                  known = outcome.version
                }
              }
              return won
            })
          const wins = (yield* Effect.forEach(range(0, writers), writer, { concurrency: "unbounded" })).flat()
          assert.deepStrictEqual(wins.map((w) => w.version).sort((a, b) => a - b), range(1, target + 1))

          const stream = yield* store.readStream("contended")
          assert.deepStrictEqual(stream.map((e) => e.version), range(1, target + 1))
          const byVersion = new Map(wins.map((w) => [w.version, w.id]))
          for (const event of stream) assert.strictEqual(event.id, byVersion.get(event.version))
          assert.strictEqual((yield* store.readAll(1, 10 * target)).length, target)
        }), { timeout: 60_000 })

      it.live("many writers on many streams in parallel", () =>
        Effect.gen(function*() {
          const store = yield* makeStore()
          const streams = 40
          const appendsPerStream = 25
          const writer = (s: number) =>
            Effect.gen(function*() {
              let version = 0
              const ids: Array<string> = []
              for (let i = 0; i < appendsPerStream; i++) {
                // Mix single-event and multi-event appends.
                const batch = Array.from({ length: (i % 3) + 1 }, () => newEvent("E", { s, i }))
                const result: AppendResult = yield* store.append(`stream-${s}`, version, batch)
                assert.strictEqual(result.version, version + batch.length)
                version = result.version
                ids.push(...batch.map((e) => e.id))
              }
              return ids
            })
          const written = yield* Effect.forEach(range(0, streams), writer, { concurrency: "unbounded" })
          for (let s = 0; s < streams; s++) {
            const read = yield* store.readStream(`stream-${s}`)
            assert.deepStrictEqual(read.map((e) => e.id), written[s])
            assert.deepStrictEqual(read.map((e) => e.version), range(1, written[s]!.length + 1))
          }
          const total = written.reduce((n, ids) => n + ids.length, 0)
          const all = yield* store.readAll(1, total + 10)
          assert.strictEqual(all.length, total)
          assert.strictEqual(new Set(all.map((e) => e.id)).size, total)
          assertIncreasing(all.map((e) => e.position))
          assert.strictEqual(yield* store.headPosition, all[all.length - 1]!.position)
        }), { timeout: 60_000 })
    })
  })
}

/** JSON-safe, but with everything an encoding can get wrong: unicode, number kinds, null, nesting. */
export const richData = {
  text: "héllo wörld — 日本語 — emoji 🚀👩‍🔧 — quotes \" ' \\ — newline\nend",
  integer: 42,
  negative: -7,
  float: 3.141592653589793,
  tiny: 1e-300,
  huge: 1.7976931348623157e308,
  maxSafe: Number.MAX_SAFE_INTEGER,
  minSafe: Number.MIN_SAFE_INTEGER,
  beyond32Bits: 4_294_967_296,
  zero: 0,
  nothing: null,
  yes: true,
  no: false,
  empty: "",
  list: [1, "two", null, { three: 3 }, [4, [5]]],
  nested: { a: { b: { c: ["deep", { d: null, e: { f: "🌊" } }] } } },
  emptyObject: {},
  emptyList: []
}

let counter = 0

export const newEvent = (type = "Happened", data: unknown = { n: ++counter }): NewEvent => {
  const id = randomUUID()
  return {
    id,
    type,
    data,
    meta: {
      domain: "test",
      actor: systemActor,
      correlationId: id,
      causationId: null,
      commandId: `cmd-${id}`,
      at: new Date().toISOString()
    }
  }
}

const range = (from: number, to: number): Array<number> => Array.from({ length: to - from }, (_, i) => from + i)

const assertIncreasing = (positions: ReadonlyArray<number>): void => {
  for (let i = 1; i < positions.length; i++) {
    assert.isTrue(positions[i]! > positions[i - 1]!, `position ${positions[i]} after ${positions[i - 1]}`)
  }
}

const assertRecorded = (recorded: RecordedEvent, event: NewEvent, stream: string): void => {
  assert.strictEqual(recorded.id, event.id)
  assert.strictEqual(recorded.type, event.type)
  assert.strictEqual(recorded.stream, stream)
  assert.deepStrictEqual(recorded.data, event.data)
  assert.deepStrictEqual(recorded.meta, event.meta)
}

const assertConflict = (error: unknown, stream: string, actual: number, expected?: ExpectedVersion): void => {
  assert.instanceOf(error, WrongExpectedVersion)
  const conflict = error as WrongExpectedVersion
  assert.strictEqual(conflict.stream, stream)
  assert.strictEqual(conflict.actual, actual)
  if (expected !== undefined) assert.strictEqual(conflict.expected, expected)
}
