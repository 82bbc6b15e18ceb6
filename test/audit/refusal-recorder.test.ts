import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { CommandRejected, CommandUnavailable, uuidv7, type Command, type CommandBusService, type CommandRefused, type RecordedEvent } from "@machhub/core"
import { makeRefusalRecorder } from "../../apps/server/src/audit/RefusalRecorder.js"
import { RefusalFloodGuard } from "../../apps/server/src/audit/RefusalFloodGuard.js"

const command = (actorId: string, overrides: Partial<Command> = {}): Command => ({
  id: uuidv7(),
  type: "updateRecord",
  category: "record",
  domain: "acme",
  aggregateId: "products:1",
  actor: { kind: "user", id: actorId },
  payload: { changes: { secret: "never recorded" } },
  correlationId: uuidv7(),
  ...overrides
})

/** A bus whose every command is refused. */
const refusing: CommandBusService = {
  dispatch: () => Effect.fail(new CommandRejected({ reason: "forbidden", message: "not yours" }))
}

const refusals = (events: ReadonlyArray<RecordedEvent>) => events.filter((e): e is RecordedEvent & CommandRefused => e.type === "CommandRefused")

describe("RefusalFloodGuard", () => {
  it("lets a burst through, then counts, then refills per minute", () => {
    const guard = new RefusalFloodGuard<string>({ burst: 3, perMinute: 6, maxCallers: 100 })
    const admitted = [1, 2, 3, 4, 5].map((n) => guard.admit("bob", `r${n}`, 0))
    expect(admitted).toEqual([{ record: true, unrecorded: 0 }, { record: true, unrecorded: 0 }, { record: true, unrecorded: 0 }, { record: false }, { record: false }])
    // 10 s later one token is back: the next refusal is recorded and carries the 2 counted ones.
    expect(guard.admit("bob", "r6", 10_000)).toEqual({ record: true, unrecorded: 2 })
    // Other callers have their own budget.
    expect(guard.admit("eve", "e1", 10_000)).toEqual({ record: true, unrecorded: 0 })
  })

  it("hands out a caller's last counted refusal once its budget refilled, so a flood that stops is still summed up", () => {
    const guard = new RefusalFloodGuard<string>({ burst: 1, perMinute: 1, maxCallers: 100 })
    guard.admit("bob", "r1", 0)
    guard.admit("bob", "r2", 1)
    guard.admit("bob", "r3", 2)
    expect(guard.pending(30_000)).toEqual([])
    expect(guard.pending(61_000)).toEqual([{ caller: "bob", refusal: "r3", unrecorded: 1 }])
    expect(guard.pending(200_000)).toEqual([])
    expect(guard.size).toBe(0) // full again and owing nothing: forgotten
  })

  it("tracks a bounded number of callers, reporting counts it has to forget", () => {
    const forgotten: Array<[string, number]> = []
    const guard = new RefusalFloodGuard<string>({ burst: 1, perMinute: 1, maxCallers: 2 }, (caller, n) => forgotten.push([caller, n]))
    guard.admit("a", "x", 0)
    guard.admit("a", "x", 0)
    guard.admit("b", "x", 0)
    guard.admit("c", "x", 0)
    expect(guard.size).toBe(2)
    expect(forgotten).toEqual([["a", 1]])
  })
})

describe("the refusal recorder", () => {
  it("records each refusal on its own stream with the command's actor, correlation id and the caller's address, never its payload", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: ":memory:" })
      const recorder = makeRefusalRecorder(refusing, { store, addressOf: (id) => (id === "known" ? "10.0.0.7" : null) })
      const sent = command("bob", { correlationId: "known" })
      const error = yield* Effect.flip(recorder.commands.dispatch(sent))
      expect(error).toMatchObject({ _tag: "CommandRejected", reason: "forbidden" })
      const [event] = refusals(yield* store.readAll(1, 100))
      expect(event).toMatchObject({
        stream: `refusal-acme-${sent.id}`,
        version: 1,
        data: { commandId: sent.id, commandType: "updateRecord", target: "record-acme-products:1", reason: "forbidden", message: "not yours", address: "10.0.0.7", unrecorded: 0 },
        meta: { domain: "acme", actor: { kind: "user", id: "bob" }, correlationId: "known", commandId: sent.id, causationId: sent.id }
      })
      expect(JSON.stringify(event)).not.toContain("never recorded")
    }))))

  it("bounds a flood per caller and still accounts for every refusal", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: ":memory:" })
      let now = 0
      const recorder = makeRefusalRecorder(refusing, { store, addressOf: () => "10.0.0.9", burst: 5, perMinute: 5, now: () => now })
      for (let i = 0; i < 50; i++) yield* Effect.flip(recorder.commands.dispatch(command("mallory")))
      yield* Effect.flip(recorder.commands.dispatch(command("carol")))
      let recorded = refusals(yield* store.readAll(1, 1000))
      expect(recorded.filter((e) => e.meta.actor.id === "mallory")).toHaveLength(5)
      expect(recorded.filter((e) => e.meta.actor.id === "carol")).toHaveLength(1)
      // A minute later the sweep records the last counted one with the count of those before it.
      now = 60_000
      yield* recorder.sweep
      recorded = refusals(yield* store.readAll(1, 1000)).filter((e) => e.meta.actor.id === "mallory")
      expect(recorded).toHaveLength(6)
      expect(recorded[5]!.data.unrecorded).toBe(44)
      expect(recorded.reduce((n, e) => n + 1 + e.data.unrecorded, 0)).toBe(50)
    }))))

  it("never changes the answer when the refusal cannot be recorded", async () => {
    const closed = await Effect.runPromise(Effect.scoped(makeSqliteEventStore({ path: ":memory:" }))) // closed with its scope
    const recorder = makeRefusalRecorder(refusing, { store: closed, addressOf: () => null })
    const error = await Effect.runPromise(Effect.flip(recorder.commands.dispatch(command("bob"))))
    expect(error).toMatchObject({ _tag: "CommandRejected", reason: "forbidden" })
  })

  it("records nothing for a command that was not refused by a rule (unavailable, failed, accepted)", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: ":memory:" })
      const down: CommandBusService = { dispatch: () => Effect.fail(new CommandUnavailable({ message: "bus down" })) }
      const fine: CommandBusService = { dispatch: () => Effect.succeed({ stream: "s", version: 1, position: 1, eventCount: 1, result: null }) }
      yield* Effect.flip(makeRefusalRecorder(down, { store, addressOf: () => null }).commands.dispatch(command("bob")))
      yield* makeRefusalRecorder(fine, { store, addressOf: () => null }).commands.dispatch(command("bob"))
      expect(yield* store.readAll(1, 10)).toEqual([])
    }))))
})
