import { assert, describe, it } from "@effect/vitest"
import { EventStoreUnavailable, WrongExpectedVersion } from "@machhub/core"
import { encodeMsgpack, KurrentDbMapping as M, makeKurrentDbEventStore } from "@machhub/adapters"
import { Effect } from "effect"
import { ANY, NO_STREAM, STREAM_EXISTS, WrongExpectedVersionError } from "@kurrent/kurrentdb-client"
import { newEvent, richData } from "../contracts/event-store.contract.js"

// The KurrentDB adapter's conversions, checked without a server (its contract suite needs KURRENTDB_URL).

const recorded = (overrides: Record<string, unknown> = {}) => ({
  event: {
    streamId: "machine-acme-7",
    id: "0190f3c2-0000-7000-8000-000000000001",
    isJson: true,
    revision: 4n,
    type: "MachineRenamed",
    created: new Date(0),
    data: { name: "press 7" },
    metadata: { domain: "acme", correlationId: "c" } as Record<string, unknown>,
    position: { commit: 1000n, prepare: 1000n },
    ...overrides
  }
}) as unknown as Parameters<typeof M.fromResolved>[0]

describe("KurrentDB mapping: expected versions", () => {
  it("maps the port's expectations to stream states (versions 1..n are revisions 0..n-1)", () => {
    assert.strictEqual(M.streamStateOf("any"), ANY)
    assert.strictEqual(M.streamStateOf("no_stream"), NO_STREAM)
    assert.strictEqual(M.streamStateOf("exists"), STREAM_EXISTS)
    assert.strictEqual(M.streamStateOf(0), NO_STREAM)
    assert.strictEqual(M.streamStateOf(1), 0n)
    assert.strictEqual(M.streamStateOf(42), 41n)
  })

  it("reports a conflict's actual version: 0 for no stream, revision + 1 otherwise", () => {
    assert.strictEqual(M.versionOfState(NO_STREAM), 0)
    assert.strictEqual(M.versionOfState(0n), 1)
    assert.strictEqual(M.versionOfState(9n), 10)
  })
})

describe("KurrentDB mapping: errors", () => {
  it("turns WrongExpectedVersionError into WrongExpectedVersion with the port's expectation and the actual version", () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: "s", expected: 2n, current: 4n })
    const mapped = M.toStoreError("appending to s", "s", 3, error)
    assert.instanceOf(mapped, WrongExpectedVersion)
    assert.deepStrictEqual([mapped.stream, mapped.expected, (mapped as WrongExpectedVersion).actual], ["s", 3, 5])
    const missing = M.toStoreError("appending to s", "s", "exists", new WrongExpectedVersionError(undefined, { streamName: "s", expected: STREAM_EXISTS, current: NO_STREAM }))
    assert.strictEqual((missing as WrongExpectedVersion).actual, 0)
  })

  it("turns anything else into EventStoreUnavailable naming the operation", () => {
    const mapped = M.toStoreError("appending to s", "s", "any", new Error("14 UNAVAILABLE: connection refused"))
    assert.instanceOf(mapped, EventStoreUnavailable)
    assert.match((mapped as EventStoreUnavailable).reason, /^appending to s: .*connection refused/)
    const passed = new EventStoreUnavailable({ reason: "already worded" })
    assert.strictEqual(M.toUnavailable("x", passed), passed)
  })
})

describe("KurrentDB mapping: positions", () => {
  it("gives every event an odd position, increasing with its log position", () => {
    assert.strictEqual(M.portPositionOf({ commit: 0n, prepare: 0n }), 1)
    assert.strictEqual(M.portPositionOf({ commit: 1000n, prepare: 1000n }), 2001)
    assert.isTrue(M.portPositionOf({ commit: 1001n, prepare: 1001n }) > M.portPositionOf({ commit: 1000n, prepare: 1000n }))
  })

  it("reads from an event's position inclusively and from position + 1 exclusively, both at its record", () => {
    const event = { commit: 1000n, prepare: 1000n }
    const p = M.portPositionOf(event)
    assert.deepStrictEqual(M.readStartOf(p), { kind: "at", position: event })
    assert.deepStrictEqual(M.readStartOf(p + 1), { kind: "after", position: event })
    assert.deepStrictEqual(M.readStartOf(1), { kind: "start" })
    assert.deepStrictEqual(M.readStartOf(0), { kind: "start" })
    assert.deepStrictEqual(M.readStartOf(-5), { kind: "start" })
  })

  it("keeps the event at the start only when reading inclusively", () => {
    const at = M.readStartOf(2001)
    const after = M.readStartOf(2002)
    const same = { commit: 1000n, prepare: 1000n }
    const later = { commit: 1100n, prepare: 1100n }
    assert.isTrue(M.isAtOrAfterStart(at, same))
    assert.isFalse(M.isAtOrAfterStart(after, same))
    assert.isTrue(M.isAtOrAfterStart(after, later))
    assert.isFalse(M.isAtOrAfterStart(at, { commit: 999n, prepare: 999n }))
    assert.isTrue(M.isAtOrAfterStart({ kind: "start" }, same))
  })
})

describe("KurrentDB mapping: events", () => {
  it("writes JSON data as a JSON event and marks the first event of an attempt in its metadata", () => {
    const event = newEvent("Renamed", richData)
    const data = M.toEventData(event, "attempt-1")
    assert.strictEqual(data.contentType, "application/json")
    assert.strictEqual(data.id, event.id)
    assert.strictEqual(data.type, "Renamed")
    assert.deepStrictEqual(data.data, richData)
    assert.deepStrictEqual(data.metadata, { ...event.meta, [M.ATTEMPT_KEY]: "attempt-1" })
    assert.deepStrictEqual(M.toEventData(event).metadata, { ...event.meta })
  })

  it("writes bytes and bare scalars as MessagePack in a binary event", () => {
    const bytes = M.toEventData(newEvent("Output", { t: 5, data: new Uint8Array([1, 2, 3]) }))
    assert.strictEqual(bytes.contentType, "application/octet-stream")
    assert.deepStrictEqual(bytes.data, encodeMsgpack({ t: 5, data: new Uint8Array([1, 2, 3]) }))
    assert.strictEqual(M.toEventData(newEvent("Scalar", 42)).contentType, "application/octet-stream")
  })

  it("reads an event back as the port records it, attempt marker stripped", () => {
    const decoded = M.fromResolved(recorded({ metadata: { domain: "acme", correlationId: "c", [M.ATTEMPT_KEY]: "a1" } }))!
    assert.deepStrictEqual<unknown>(decoded.event, {
      id: "0190f3c2-0000-7000-8000-000000000001",
      type: "MachineRenamed",
      data: { name: "press 7" },
      meta: { domain: "acme", correlationId: "c" },
      stream: "machine-acme-7",
      version: 5,
      position: 2001
    })
    assert.strictEqual(decoded.attempt, "a1")
    assert.strictEqual(M.fromResolved(recorded())!.attempt, undefined)
  })

  it("decodes binary events from MessagePack", () => {
    const data = { t: 5, data: new Uint8Array([1, 2, 3]) }
    const decoded = M.fromResolved(recorded({ isJson: false, data: encodeMsgpack(data) }))!
    assert.deepStrictEqual(decoded.event.data, { t: 5, data: Buffer.from([1, 2, 3]) })
  })

  it("round-trips through toEventData and fromResolved", () => {
    const event = newEvent("Renamed", richData)
    const written = M.toEventData(event, "a")
    const decoded = M.fromResolved(recorded({ id: event.id, type: event.type, data: written.data, metadata: written.metadata }))!
    assert.deepStrictEqual([decoded.event.id, decoded.event.type, decoded.event.data, decoded.event.meta], [event.id, event.type, event.data, event.meta])
  })

  it("skips system events, links without events and events that are not envelopes", () => {
    assert.isUndefined(M.fromResolved(recorded({ type: "$metadata" })))
    assert.isUndefined(M.fromResolved(recorded({ streamId: "$stats-127.0.0.1:2113" })))
    assert.isUndefined(M.fromResolved(recorded({ metadata: undefined })))
    assert.isUndefined(M.fromResolved({} as Parameters<typeof M.fromResolved>[0]))
  })

  it("accepts only UUID event ids (KurrentDB stores ids as UUIDs)", () => {
    assert.isTrue(M.isUuid(newEvent().id))
    assert.isFalse(M.isUuid("event-1"))
  })
})

describe("KurrentDB adapter without a server", () => {
  it.live("an unreachable server fails calls with EventStoreUnavailable, quickly and without a defect", () =>
    Effect.gen(function*() {
      const store = yield* makeKurrentDbEventStore({ connectionString: "kurrentdb://127.0.0.1:1?tls=false", requestTimeoutMs: 2_000 })
      const started = Date.now()
      const appended = yield* Effect.flip(store.append("s", "any", [newEvent()]))
      assert.instanceOf(appended, EventStoreUnavailable)
      assert.match(appended.message, /appending to s/)
      assert.instanceOf(yield* Effect.flip(store.readAll(1, 10)), EventStoreUnavailable)
      assert.instanceOf(yield* Effect.flip(store.readStream("s")), EventStoreUnavailable)
      assert.isBelow(Date.now() - started, 10_000)
      // Input is checked before anything is sent.
      assert.match((yield* Effect.flip(store.append("s", "any", [{ ...newEvent(), id: "not-a-uuid" }]))).message, /must be UUIDs/)
    }))
})
