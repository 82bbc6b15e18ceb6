import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { CommandOutcomeUnknown, CommandRejected, CommandUnavailable, commandSubject } from "@machhub/core"
import {
  connectNats,
  decodeMsgpack,
  encodeMsgpack,
  makeNatsCommandBus,
  serveCommands
} from "@machhub/adapters"
import { Effect } from "effect"
import { commandBusContract, makeCommand } from "../contracts/command-bus.contract.js"
import { describeWithNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"

describeWithNats("NATS command bus", () => {
  let server: NatsTestServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  // Server and caller on separate connections, as they would be in separate processes.
  commandBusContract("NATS", (handler) =>
    Effect.gen(function*() {
      const serving = yield* connectNats({ servers: server.url, name: "test-serve" })
      yield* serveCommands(serving, handler, { drainTimeout: 1_000 })
      const calling = yield* connectNats({ servers: server.url, name: "test-call" })
      return makeNatsCommandBus(calling)
    }))

  it.live("answers CommandUnavailable when nobody serves the subject", () =>
    Effect.gen(function*() {
      const calling = yield* connectNats({ servers: server.url })
      const error = yield* Effect.flip(makeNatsCommandBus(calling).dispatch(makeCommand({ domain: "nobody_here" })))
      expect(error).toBeInstanceOf(CommandUnavailable)
      expect(error.message).toContain("mh.cmd.nobody_here.device")
    }))

  // The handler got the command and may have applied it: unknown, not "unavailable" (504, not 503).
  it.live("answers CommandOutcomeUnknown when the reply does not come within the request timeout", () =>
    Effect.gen(function*() {
      const serving = yield* connectNats({ servers: server.url })
      yield* serveCommands(serving, () => Effect.never, { drainTimeout: 50 })
      const calling = yield* connectNats({ servers: server.url })
      const error = yield* Effect.flip(makeNatsCommandBus(calling, { requestTimeout: 200 }).dispatch(makeCommand()))
      expect(error).toBeInstanceOf(CommandOutcomeUnknown)
      expect(error.message).toContain("200 ms")
    }))

  it.live("answers malformed requests with an error reply and keeps serving", () =>
    Effect.gen(function*() {
      const serving = yield* connectNats({ servers: server.url })
      yield* serveCommands(serving, (command) =>
        Effect.succeed({ stream: "device-acme-d-1", version: 1, position: 1, eventCount: 0, result: command.id }))
      const calling = yield* connectNats({ servers: server.url })
      const rawRequest = (subject: string, body: Uint8Array) =>
        Effect.promise(() => calling.connection.request(subject, body, { timeout: 2_000 })).pipe(
          Effect.map((msg) => decodeMsgpack(msg.data) as { ok: boolean; error?: { _tag: string; reason?: string; message: string } })
        )

      const garbage = yield* rawRequest("mh.cmd.x.y", new TextEncoder().encode("certainly not msgpack \u0000\u00ff"))
      expect(garbage.ok).toBe(false)
      expect(garbage.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })

      const wrongShape = yield* rawRequest("mh.cmd.x.y", encodeMsgpack({ hello: "world" }))
      expect(wrongShape.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })

      const empty = yield* rawRequest("mh.cmd.x.y", new Uint8Array())
      expect(empty.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })

      // A well-formed command on a subject that is not its own is refused too.
      const misrouted = yield* rawRequest("mh.cmd.x.y", encodeMsgpack(makeCommand()))
      expect(misrouted.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })

      // The same client decodes such replies into the core error class.
      const bus = makeNatsCommandBus(calling)
      const rejected = yield* Effect.flip(bus.dispatch(makeCommand({ actor: { kind: "robot" as never, id: "r" } })))
      expect(rejected).toBeInstanceOf(CommandRejected)

      const command = makeCommand()
      const reply = yield* bus.dispatch(command)
      expect(reply.result).toBe(command.id)
      expect(commandSubject(command.domain, command.category)).toBe("mh.cmd.acme.device")
    }))

  it.live("shares commands across a queue group: each command is handled exactly once", () =>
    Effect.gen(function*() {
      const handledBy: Array<string> = []
      for (const name of ["a", "b", "c"]) {
        const serving = yield* connectNats({ servers: server.url, name })
        yield* serveCommands(serving, (command) =>
          Effect.sync(() => {
            handledBy.push(name)
            return { stream: "s", version: 1, position: 1, eventCount: 0, result: command.id }
          }))
      }
      const calling = yield* connectNats({ servers: server.url })
      const bus = makeNatsCommandBus(calling)
      yield* Effect.forEach(Array.from({ length: 60 }, () => makeCommand()), bus.dispatch, { concurrency: 10 })
      expect(handledBy).toHaveLength(60)
      expect(new Set(handledBy).size).toBeGreaterThan(1)
    }))

  it.live("stops serving when its scope closes", () =>
    Effect.gen(function*() {
      const serving = yield* connectNats({ servers: server.url })
      const calling = yield* connectNats({ servers: server.url })
      const bus = makeNatsCommandBus(calling)
      yield* Effect.scoped(
        serveCommands(serving, (command) => Effect.succeed({ stream: "s", version: 1, position: 1, eventCount: 0, result: command.id }))
          .pipe(Effect.andThen(bus.dispatch(makeCommand())))
      )
      const error = yield* Effect.flip(bus.dispatch(makeCommand()))
      expect(error).toBeInstanceOf(CommandUnavailable)
    }))
})
