import { afterAll, assert, beforeAll, it } from "@effect/vitest"
import { EventStore, EventStoreUnavailable, WrongExpectedVersion } from "@machhub/core"
import {
  connectNats,
  decodeMsgpack,
  type JetStreamEventStoreOptions,
  JetStreamEventStore,
  makeJetStreamEventStore,
  SLOTS_PER_COMMIT
} from "@machhub/adapters"
import { jetstreamManager } from "@nats-io/jetstream"
import { Effect, Exit, Fiber, Schedule, Scope, Stream } from "effect"
import { eventStoreContract, newEvent, richData } from "../contracts/event-store.contract.js"
import { describeWithManagedNats, describeWithNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"

let counter = 0

/**
 * Options for a FRESH store on `url`: its own stream and subject prefix (streams on one server must not
 * share subjects), so stores of one test file never see each other's events.
 */
const freshOptions = (url: string, extra: Partial<JetStreamEventStoreOptions> = {}): JetStreamEventStoreOptions => {
  const n = `${process.pid}_${++counter}`
  return { servers: url, streamName: `TEST_ES_${n}`, subjectPrefix: `t${n}.es`, ...extra }
}

/** JetStream admin on its own connection, closed after the store (it is acquired first). */
const admin = (url: string) =>
  Effect.gen(function*() {
    const client = yield* connectNats({ servers: url, name: "test-admin" })
    return yield* Effect.promise(() => jetstreamManager(client.connection))
  })

/** A fresh store whose stream is deleted once the store has closed. */
const freshStore = (url: string, extra: Partial<JetStreamEventStoreOptions> = {}) =>
  Effect.gen(function*() {
    const jsm = yield* admin(url)
    const options = freshOptions(url, extra)
    yield* Effect.addFinalizer(() => Effect.promise(() => jsm.streams.delete(options.streamName!).catch(() => false)))
    const store = yield* makeJetStreamEventStore(options)
    return { store, options, jsm }
  })

const conflictActual = (error: unknown): number => {
  assert.instanceOf(error, WrongExpectedVersion)
  return (error as WrongExpectedVersion).actual
}

describeWithNats("JetStream event store", () => {
  let server: NatsTestServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  eventStoreContract("JetStream", () => Effect.map(freshStore(server.url), ({ store }) => store))

  it.live("one message per append on mh.es.<domain>.<category>.<id>, version and count in headers", () =>
    Effect.gen(function*() {
      const { jsm, options, store } = yield* freshStore(server.url, { subjectPrefix: undefined })
      const events = [newEvent("RecordCreated", richData), newEvent("RecordUpdated")]
      const result = yield* store.append("record-acme-products:7f3a", "no_stream", events)
      assert.strictEqual(store.subjectOf("record-acme-products:7f3a"), "mh.es.acme.record.products:7f3a")

      const info = yield* Effect.promise(() => jsm.streams.info(options.streamName!))
      assert.strictEqual(info.state.messages, 1)
      const message = (yield* Effect.promise(() => jsm.streams.getMessage(options.streamName!, { seq: 1 })))!
      assert.strictEqual(message.subject, "mh.es.acme.record.products:7f3a")
      assert.strictEqual(message.header.get("Nats-Msg-Id"), events[0]!.id)
      assert.strictEqual(message.header.get("Mh-Version"), "2")
      assert.strictEqual(message.header.get("Mh-Events"), "2")
      assert.deepStrictEqual(decodeMsgpack(message.data), { stream: "record-acme-products:7f3a", events })
      // Positions come from the stream sequence: message 1 holds positions 1·10,000 + 0 and + 1.
      assert.deepStrictEqual([result.firstPosition, result.position], [SLOTS_PER_COMMIT, SLOTS_PER_COMMIT + 1])
    }))

  it.live("creates the stream as an event log: file storage, never drops or deletes events, de-duplicates", () =>
    Effect.gen(function*() {
      const { jsm, options } = yield* freshStore(server.url, { duplicateWindowMs: 90_000, maxBytes: 64 * 1024 * 1024 })
      const { config } = yield* Effect.promise(() => jsm.streams.info(options.streamName!))
      assert.deepStrictEqual(config.subjects, [`${options.subjectPrefix}.>`])
      assert.strictEqual(config.storage, "file")
      assert.strictEqual(config.retention, "limits")
      assert.strictEqual(config.discard, "new")
      assert.strictEqual(config.max_age, 0)
      assert.strictEqual(config.max_msgs, -1)
      assert.strictEqual(config.max_bytes, 64 * 1024 * 1024)
      assert.strictEqual(config.max_msg_size, 1024 * 1024)
      assert.strictEqual(config.duplicate_window, 90_000 * 1_000_000)
      assert.strictEqual(config.num_replicas, 1)
      assert.isTrue(config.deny_delete)
      assert.isTrue(config.deny_purge)
      assert.isFalse(config.allow_rollup_hdrs)
    }))

  it.live("uses an existing stream, and refuses one that does not capture its subjects", () =>
    Effect.gen(function*() {
      const { options, store } = yield* freshStore(server.url)
      yield* store.append("s", "no_stream", [newEvent()])
      // A second process opening the same stream sees what the first wrote.
      const again = yield* makeJetStreamEventStore(options)
      assert.strictEqual((yield* again.readStream("s")).length, 1)

      const jsm = yield* admin(server.url)
      const name = `OTHER_${process.pid}_${++counter}`
      yield* Effect.promise(() => jsm.streams.add({ name, subjects: [`other${counter}.>`] }))
      yield* Effect.addFinalizer(() => Effect.promise(() => jsm.streams.delete(name).catch(() => false)))
      const error = yield* Effect.flip(makeJetStreamEventStore({ servers: server.url, streamName: name, subjectPrefix: "elsewhere" }))
      assert.instanceOf(error, EventStoreUnavailable)
      assert.match(error.reason, /do not include elsewhere\.>/)
    }))

  it.live("cannot open without NATS: EventStoreUnavailable, quickly", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const error = yield* Effect.flip(makeJetStreamEventStore({ servers: "nats://127.0.0.1:1", requestTimeoutMs: 1_000 }))
      assert.instanceOf(error, EventStoreUnavailable)
      assert.isBelow(Date.now() - started, 5_000)
      assert.instanceOf(yield* Effect.flip(makeJetStreamEventStore({})), EventStoreUnavailable)
    }))

  it.live("two processes racing on one stream: the server's sequence check lets exactly one win each version", () =>
    Effect.gen(function*() {
      const { options, store: a } = yield* freshStore(server.url)
      const b = yield* makeJetStreamEventStore(options)
      yield* a.append("s", "no_stream", [newEvent()])
      // b never saw version 1 being written; its expectations are checked by the server all the same.
      assert.strictEqual(conflictActual(yield* Effect.flip(b.append("s", 0, [newEvent()]))), 1)
      const outcomes = yield* Effect.all(
        [Effect.exit(a.append("s", 1, [newEvent()])), Effect.exit(b.append("s", 1, [newEvent()]))],
        { concurrency: "unbounded" }
      )
      assert.strictEqual(outcomes.filter(Exit.isSuccess).length, 1)
      // "any" from a process with a stale view still lands after the latest version.
      yield* a.append("s", 2, [newEvent()])
      assert.strictEqual((yield* b.append("s", "any", [newEvent()])).version, 4)
      assert.deepStrictEqual((yield* a.readStream("s")).map((e) => e.version), [1, 2, 3, 4])
    }))

  it.live("a retry from another process (no shared memory) is answered as a duplicate via Nats-Msg-Id", () =>
    Effect.gen(function*() {
      const { options, store: a } = yield* freshStore(server.url)
      const b = yield* makeJetStreamEventStore(options)
      const events = [newEvent(), newEvent()]
      const first = yield* a.append("s", "no_stream", events)
      yield* a.append("other", "any", [newEvent()])
      const retried = yield* b.append("s", "no_stream", events)
      assert.isTrue(retried.duplicate)
      assert.deepStrictEqual([retried.version, retried.firstPosition, retried.position], [first.version, first.firstPosition, first.position])
      // Reusing the first id in another stream is refused, also without shared memory.
      assert.match((yield* Effect.flip(b.append("t", "any", [events[0]!]))).message, /already stored in stream s/)
      assert.strictEqual((yield* a.readAll(1, 10)).length, 3)
    }))

  it.live("after the duplicate window, a retried append is still recognised as the stream's last commit", () =>
    Effect.gen(function*() {
      const { options, store: a } = yield* freshStore(server.url, { duplicateWindowMs: 100 })
      const b = yield* makeJetStreamEventStore(options)
      const events = [newEvent()]
      const first = yield* a.append("s", "no_stream", events)
      yield* Effect.sleep("300 millis")
      const retried = yield* b.append("s", "no_stream", events)
      assert.isTrue(retried.duplicate)
      assert.strictEqual(retried.position, first.position)
      assert.strictEqual((yield* a.readStream("s")).length, 1)
    }))

  it.live("an append larger than NATS's max_payload fails as invalid and writes nothing", () =>
    Effect.gen(function*() {
      const { store } = yield* freshStore(server.url)
      const error = yield* Effect.flip(store.append("s", "any", [newEvent("Huge", { blob: "x".repeat(2 * 1024 * 1024) })]))
      assert.instanceOf(error, EventStoreUnavailable)
      assert.match((error as EventStoreUnavailable).reason, /^invalid request: .*at most \d+ per message/)
      assert.strictEqual(yield* store.headPosition, 0)
    }))

  it.live("works over a connection it was given, and leaves it open when closed", () =>
    Effect.gen(function*() {
      const client = yield* connectNats({ servers: server.url })
      const options = freshOptions(server.url, { servers: undefined, client })
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* makeJetStreamEventStore(options)
        yield* store.append("s", "no_stream", [newEvent()])
      }))
      assert.isTrue(client.isConnected())
      const read = yield* Effect.provide(
        Effect.flatMap(EventStore, (store) => store.readStream("s")),
        JetStreamEventStore.layer(options)
      )
      assert.strictEqual(read.length, 1)
    }))

  it.live("closing the store ends live subscriptions, then fails further calls", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { store } = yield* freshStore(server.url).pipe(Scope.provide(scope))
      yield* store.append("s", "any", [newEvent()])
      const subscriber = yield* store.subscribe(1).pipe(Stream.runCollect, Effect.forkChild)
      yield* Effect.sleep("100 millis")
      yield* Scope.close(scope, Exit.void)
      const received = yield* Fiber.join(subscriber).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(received.length, 1)
      const error = yield* Effect.flip(store.append("s", "any", [newEvent()]))
      assert.instanceOf(error, EventStoreUnavailable)
      assert.match(error.reason, /closed/)
    }))
})

describeWithManagedNats("JetStream event store, NATS outage", () => {
  let server: NatsTestServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  it.live("fails fast while NATS is down, works again after it is back, without reopening the store", () =>
    Effect.gen(function*() {
      const { store } = yield* freshStore(server.url)
      yield* store.append("s", "no_stream", [newEvent()])
      const subscriber = yield* store.subscribe(1).pipe(Stream.runDrain, Effect.flip, Effect.forkChild)
      yield* Effect.sleep("100 millis")

      yield* Effect.promise(() => server.stop())
      // The subscription reports the outage; its owner resubscribes from its last position.
      assert.instanceOf(yield* Fiber.join(subscriber).pipe(Effect.timeout("5 seconds")), EventStoreUnavailable)
      const attempts: ReadonlyArray<Effect.Effect<unknown, EventStoreUnavailable | WrongExpectedVersion>> = [
        store.append("s", 1, [newEvent()]),
        store.readStream("s"),
        store.readAll(1, 10),
        store.headPosition
      ]
      for (const attempt of attempts) {
        const started = Date.now()
        const error = yield* Effect.flip(attempt)
        assert.instanceOf(error, EventStoreUnavailable)
        assert.isBelow(Date.now() - started, 500, "refused at once, not after the request timeout")
      }

      yield* Effect.promise(() => server.restart())
      const appended = yield* store.append("s", 1, [newEvent()]).pipe(
        Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 100, while: (e) => e._tag === "EventStoreUnavailable" }),
        Effect.timeout("10 seconds")
      )
      assert.strictEqual(appended.version, 2)
      const resumed = yield* store.subscribe(1).pipe(Stream.take(2), Stream.runCollect, Effect.timeout("5 seconds"))
      assert.deepStrictEqual(resumed.map((e) => e.version), [1, 2])
    }), { timeout: 60_000 })
})
