import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { CommandOutcomeUnknown, CommandUnavailable, EventBusUnavailable } from "@machhub/core"
import { connectNats, makeNatsCommandBus, makeNatsEventBus, type NatsClient, serveCommands } from "@machhub/adapters"
import { Effect, Fiber, Schedule } from "effect"
import { makeCommand } from "../contracts/command-bus.contract.js"
import { makeEvent } from "../contracts/event-bus.contract.js"
import { describeWithManagedNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"

/** Polls a synchronous condition; dies (failing the test) if it does not hold within the bound. */
const eventually = (what: string, condition: () => boolean, within = "15 seconds" as const) =>
  Effect.suspend(() => (condition() ? Effect.void : Effect.fail("not yet"))).pipe(
    Effect.retry(Schedule.spaced("25 millis")),
    Effect.timeoutOrElse({ duration: within, orElse: () => Effect.die(new Error(`${what} did not happen within ${within}`)) })
  )

const connected = (...clients: ReadonlyArray<NatsClient>) => () => clients.every((client) => client.isConnected())

describeWithManagedNats("NATS outage", () => {
  let server: NatsTestServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  it.live("fails fast while NATS is down and works again, with the same objects, once it is back", () =>
    Effect.gen(function*() {
      const serving = yield* connectNats({ servers: server.url, name: "outage-serve" })
      yield* serveCommands(serving, (command) =>
        Effect.succeed({ stream: "device-acme-d-1", version: 1, position: 1, eventCount: 0, result: command.id }))
      const calling = yield* connectNats({ servers: server.url, name: "outage-call" })
      const commands = makeNatsCommandBus(calling) // default 10 s request timeout
      const events = makeNatsEventBus(calling)

      const before = makeCommand()
      expect((yield* commands.dispatch(before)).result).toBe(before.id)

      yield* Effect.promise(() => server.stop())

      // Dispatched right after the stop, possibly before the client has noticed: must still be
      // answered well before the 10 s request timeout would have fired. Unavailable if the client
      // knew before sending; if it sent into the dying connection, the outcome is unknown.
      const during = yield* commands.dispatch(makeCommand()).pipe(Effect.flip, Effect.timeoutOption("8 seconds"))
      expect(during._tag).toBe("Some")
      const duringError = during._tag === "Some" ? during.value : undefined
      expect(duringError instanceof CommandUnavailable || duringError instanceof CommandOutcomeUnknown).toBe(true)

      yield* eventually("the client noticing the outage", () => !calling.isConnected())
      const whileDown = yield* commands.dispatch(makeCommand()).pipe(Effect.flip, Effect.timeoutOption("8 seconds"))
      expect(whileDown._tag === "Some" && whileDown.value).toBeInstanceOf(CommandUnavailable)
      const publishWhileDown = yield* events.publish([makeEvent("acme", "device", "Lost")]).pipe(Effect.flip, Effect.timeoutOption("8 seconds"))
      expect(publishWhileDown._tag === "Some" && publishWhileDown.value).toBeInstanceOf(EventBusUnavailable)

      yield* Effect.promise(() => server.restart())
      yield* eventually("both clients reconnecting", connected(serving, calling))
      // The serving side re-subscribes on reconnect; a flush makes sure the server has processed it.
      yield* Effect.promise(() => serving.connection.flush())

      const after = makeCommand()
      expect((yield* commands.dispatch(after)).result).toBe(after.id)
      yield* events.publish([makeEvent("acme", "device", "Back")])
    }))

  it.live("abandons a request in flight when the connection drops", () =>
    Effect.gen(function*() {
      const serving = yield* connectNats({ servers: server.url })
      // A handler that never answers: only the disconnect can end the caller's wait early.
      yield* serveCommands(serving, () => Effect.never, { drainTimeout: 50 })
      const calling = yield* connectNats({ servers: server.url })
      const commands = makeNatsCommandBus(calling, { requestTimeout: 60_000 })
      const pending = yield* commands.dispatch(makeCommand()).pipe(Effect.flip, Effect.forkScoped)
      yield* Effect.sleep("100 millis")
      yield* Effect.promise(() => server.stop())
      const error = yield* Fiber.join(pending).pipe(Effect.timeoutOption("8 seconds"))
      // Sent and then cut off: the handler may have applied it, so its outcome is unknown.
      expect(error._tag === "Some" && error.value).toBeInstanceOf(CommandOutcomeUnknown)
      yield* Effect.promise(() => server.restart())
      yield* eventually("reconnecting", connected(serving, calling))
    }))
})
