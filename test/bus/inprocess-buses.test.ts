import { describe, expect, it } from "@effect/vitest"
import { makeInProcessCommandBus, makeInProcessEventBus } from "@machhub/adapters"
import { Deferred, Effect, Fiber, Option, Stream } from "effect"
import { commandBusContract } from "../contracts/command-bus.contract.js"
import { eventBusContract, makeEvent } from "../contracts/event-bus.contract.js"

commandBusContract("in-process", (handler) => Effect.succeed(makeInProcessCommandBus(handler)))

eventBusContract("in-process", () => Effect.map(makeInProcessEventBus(), (bus) => ({ publisher: bus, subscriber: bus })))

describe("in-process event bus", () => {
  it.live("never blocks publishers on a slow subscriber: it drops that subscriber's oldest events", () =>
    Effect.gen(function*() {
      const capacity = 16
      const bus = yield* makeInProcessEventBus({ capacity })
      const gate = yield* Deferred.make<void>()
      const stalled = yield* Deferred.make<void>()
      const events = Array.from({ length: capacity * 10 }, (_, i) => makeEvent("acme", "device", "Ticked", { i }))
      const last = events[events.length - 1]!
      // The subscriber reads one event, then stalls until every other event has been published.
      const reading = yield* bus.subscribe("mh.evt.>").pipe(
        Stream.tap((event) =>
          event.type === "Stall" ? Deferred.succeed(stalled, undefined).pipe(Effect.andThen(Deferred.await(gate))) : Effect.void
        ),
        Stream.takeUntil((event) => event.id === last.id),
        Stream.runCollect,
        Effect.forkScoped
      )
      // The subscription starts asynchronously: publish "Stall" until the subscriber has stalled on one.
      yield* bus.publish([makeEvent("acme", "device", "Stall")]).pipe(
        Effect.andThen(Deferred.await(stalled).pipe(Effect.timeoutOption("20 millis"))),
        Effect.repeat({ until: Option.isSome, times: 100 })
      )
      for (const event of events) yield* bus.publish([event])
      yield* Deferred.succeed(gate, undefined)
      const received = (yield* Fiber.join(reading)).filter((event) => event.type === "Ticked")
      // The publisher got through although nobody was reading; the subscriber kept only the newest.
      expect(received.length).toBeLessThanOrEqual(capacity)
      expect(received.map((event) => event.id)).toEqual(events.slice(-received.length).map((event) => event.id))
    }))

  it.live("fails publish with EventBusUnavailable once its scope has closed", () =>
    Effect.gen(function*() {
      const bus = yield* Effect.scoped(makeInProcessEventBus())
      const error = yield* Effect.flip(bus.publish([makeEvent("acme", "device", "Late")]))
      expect(error._tag).toBe("EventBusUnavailable")
    }))
})
