import { describe, expect, it } from "@effect/vitest"
import { type EventBusService, type RecordedEvent, streamName, uuidv7 } from "@machhub/core"
import { Deferred, Effect, Option, Queue, type Scope, Stream } from "effect"

/**
 * What every EventBus must do. A harness gives a publishing and a subscribing side (the same bus
 * in-process; two connections over NATS, as two processes would have).
 */
export interface EventBusPair {
  readonly publisher: EventBusService
  readonly subscriber: EventBusService
}
export type EventBusHarness = () => Effect.Effect<EventBusPair, unknown, Scope.Scope>

let position = 1_000
export const makeEvent = (
  domain: string,
  category: string,
  type: string,
  data: unknown = { value: 1 },
  aggregateId = "a-1"
): RecordedEvent => ({
  id: uuidv7(),
  type,
  data,
  meta: {
    domain,
    actor: { kind: "user", id: "u-1" },
    correlationId: uuidv7(),
    causationId: null,
    commandId: uuidv7(),
    at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)).toISOString()
  },
  stream: streamName(category, domain, aggregateId),
  version: 1,
  position: ++position
})

const allProbeIds = new Set<string>()

const withMeta = (event: RecordedEvent, meta: Partial<RecordedEvent["meta"]>): RecordedEvent => ({
  ...event,
  meta: { ...event.meta, ...meta }
})

/**
 * Subscriptions start asynchronously (a NATS SUB must reach the server), and the port offers no
 * "ready" signal. So we publish probe events matching the pattern until one comes back; from then
 * on the subscription is live. Probes are filtered out of what the test sees.
 */
export const subscribeReady = (
  pair: EventBusPair,
  pattern: string,
  probe: () => RecordedEvent
): Effect.Effect<Queue.Queue<RecordedEvent>, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const received = yield* Queue.unbounded<RecordedEvent>()
    const mine = new Set<string>()
    const live = yield* Deferred.make<void>()
    yield* pair.subscriber.subscribe(pattern).pipe(
      Stream.runForEach((event) =>
        mine.has(event.id)
          ? Deferred.succeed(live, undefined)
          : allProbeIds.has(event.id) // another subscription's probe
          ? Effect.void
          : Queue.offer(received, event)
      ),
      Effect.forkScoped
    )
    const attempt = Effect.gen(function*() {
      const event = probe()
      mine.add(event.id)
      allProbeIds.add(event.id)
      yield* pair.publisher.publish([event])
      return yield* Deferred.await(live).pipe(Effect.timeoutOption("100 millis"))
    })
    yield* attempt.pipe(
      Effect.repeat({ until: Option.isSome, times: 100 }),
      Effect.flatMap((result) => Option.isSome(result) ? Effect.void : Effect.die(new Error(`subscription to ${pattern} never became live`)))
    )
    return received
  })

/** The next `n` events, or a failed test after a few seconds rather than a hung one. */
export const takeEvents = (queue: Queue.Queue<RecordedEvent>, n: number) =>
  Queue.takeN(queue, n).pipe(
    Effect.timeoutOrElse({
      duration: "5 seconds",
      orElse: () => Effect.die(new Error(`expected ${n} events in time`))
    })
  )

export const eventBusContract = (name: string, harness: EventBusHarness) =>
  describe(`EventBus contract: ${name}`, () => {
    it.live("delivers published events intact, ids included", () =>
      Effect.gen(function*() {
        const pair = yield* harness()
        const queue = yield* subscribeReady(pair, "mh.evt.acme.>", () => makeEvent("acme", "probe", "Probed"))
        const events = [
          makeEvent("acme", "device", "DeviceRenamed", {
            name: "press 7",
            tags: ["a", "b"],
            reading: { value: -12.5, big: 2 ** 45 },
            nothing: null,
            flag: true
          }),
          withMeta(makeEvent("acme", "user", "UserRegistered", { username: "ada" }), { causationId: uuidv7(), commandId: null })
        ]
        yield* pair.publisher.publish(events)
        const received = yield* takeEvents(queue, 2)
        expect(received).toEqual(events)
        expect(received.map((event) => event.id)).toEqual(events.map((event) => event.id))
      }))

    it.live("delivers only events whose subject matches the pattern, in publication order", () =>
      Effect.gen(function*() {
        const pair = yield* harness()
        const queue = yield* subscribeReady(pair, "mh.evt.acme.user.>", () => makeEvent("acme", "user", "Probed"))
        const wanted1 = makeEvent("acme", "user", "UserRegistered")
        const wanted2 = makeEvent("acme", "user", "UserRenamed")
        yield* pair.publisher.publish([
          makeEvent("acme", "device", "DeviceRenamed"),
          wanted1,
          makeEvent("globex", "user", "UserRegistered"),
          makeEvent("acme", "users", "UserRegistered"),
          wanted2
        ])
        // A matching sentinel published last: had a non-matching event been delivered, it would
        // arrive before the sentinel.
        const sentinel = makeEvent("acme", "user", "Sentinel")
        yield* pair.publisher.publish([sentinel])
        const received = yield* takeEvents(queue, 3)
        expect(received.map((event) => event.id)).toEqual([wanted1.id, wanted2.id, sentinel.id])
      }))

    it.live("matches `*` as exactly one token", () =>
      Effect.gen(function*() {
        const pair = yield* harness()
        const queue = yield* subscribeReady(pair, "mh.evt.*.user.UserRegistered", () => makeEvent("probe", "user", "UserRegistered"))
        const acme = makeEvent("acme", "user", "UserRegistered")
        const globex = makeEvent("globex", "user", "UserRegistered")
        yield* pair.publisher.publish([acme, makeEvent("acme", "user", "UserRenamed"), makeEvent("acme", "device", "UserRegistered"), globex])
        const sentinel = makeEvent("initech", "user", "UserRegistered")
        yield* pair.publisher.publish([sentinel])
        const received = yield* takeEvents(queue, 3)
        expect(received.map((event) => event.id)).toEqual([acme.id, globex.id, sentinel.id])
      }))

    it.live("fans out to every subscriber", () =>
      Effect.gen(function*() {
        const pair = yield* harness()
        const first = yield* subscribeReady(pair, "mh.evt.acme.>", () => makeEvent("acme", "probe", "Probed"))
        const second = yield* subscribeReady(pair, "mh.evt.acme.device.*", () => makeEvent("acme", "device", "Probed"))
        const event = makeEvent("acme", "device", "DeviceRenamed")
        yield* pair.publisher.publish([event])
        expect((yield* takeEvents(first, 1)).map((e) => e.id)).toEqual([event.id])
        expect((yield* takeEvents(second, 1)).map((e) => e.id)).toEqual([event.id])
      }))

    it.live("publishing nothing succeeds", () =>
      Effect.gen(function*() {
        const pair = yield* harness()
        yield* pair.publisher.publish([])
      }))
  })
