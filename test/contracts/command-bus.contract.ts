import { describe, expect, it } from "@effect/vitest"
import {
  type Command,
  type CommandBusService,
  CommandFailed,
  type CommandHandler,
  CommandRejected,
  type CommandReply,
  CommandUnavailable,
  streamName,
  uuidv7
} from "@machhub/core"
import { Effect, type Scope } from "effect"

/**
 * What every CommandBus must do, whatever carries the commands. A harness builds a bus whose
 * commands reach `handler`, within the test's scope.
 */
export type CommandBusHarness = (handler: CommandHandler) => Effect.Effect<CommandBusService, unknown, Scope.Scope>

export const makeCommand = (overrides: Partial<Command> = {}): Command => ({
  id: uuidv7(),
  type: "renameDevice",
  category: "device",
  domain: "acme",
  aggregateId: "d-1",
  actor: { kind: "user", id: "u-1" },
  payload: { name: "press 7", tags: ["line-2", "hydraulic"], limits: { min: -1.5, max: 2 ** 40 }, note: null },
  expectedVersion: 3,
  idempotencyKey: "idem-1",
  correlationId: uuidv7(),
  causationId: uuidv7(),
  ...overrides
})

/** A reply that echoes what the handler saw, so a test can check both directions. */
const replyFor = (command: Command, version = 1, result: unknown = { accepted: command.id }): CommandReply => ({
  stream: streamName(command.category, command.domain, command.aggregateId),
  version,
  position: 2 ** 33 + version,
  eventCount: 1,
  result
})

export const commandBusContract = (name: string, harness: CommandBusHarness) =>
  describe(`CommandBus contract: ${name}`, () => {
    it.live("delivers the command to the handler and returns its reply intact", () =>
      Effect.gen(function*() {
        const seen: Array<Command> = []
        const result = { ok: "yes", nested: { list: [1, "two", { three: 3 }], nothing: null }, big: 2 ** 50, float: 0.25 }
        const bus = yield* harness((command) =>
          Effect.sync(() => {
            seen.push(command)
            return replyFor(command, 4, result)
          })
        )
        const command = makeCommand()
        const reply = yield* bus.dispatch(command)
        expect(seen).toEqual([command])
        expect(reply).toEqual(replyFor(command, 4, result))
      }))

    it.live("delivers a command without optional fields", () =>
      Effect.gen(function*() {
        const seen: Array<Command> = []
        const bus = yield* harness((command) => Effect.sync(() => (seen.push(command), replyFor(command))))
        const { expectedVersion: _e, idempotencyKey: _i, causationId: _c, ...required } = makeCommand({ expectedVersion: "no_stream" })
        yield* bus.dispatch(required)
        expect(seen).toHaveLength(1)
        expect(seen[0]!.id).toBe(required.id)
        expect(seen[0]!.payload).toEqual(required.payload)
        expect(seen[0]!.expectedVersion).toBeUndefined()
      }))

    it.live("carries newAggregate (the actor then skips reading a stream that cannot exist)", () =>
      Effect.gen(function*() {
        const seen: Array<Command> = []
        const bus = yield* harness((command) => Effect.sync(() => (seen.push(command), replyFor(command))))
        const { expectedVersion: _e, ...command } = makeCommand({ newAggregate: true })
        yield* bus.dispatch(command)
        expect(seen).toEqual([command])
      }))

    const errors = [
      new CommandRejected({ reason: "conflict", message: "device d-1 already renamed" }),
      new CommandRejected({ reason: "precondition_failed", message: "expected version 3, found 5" }),
      new CommandUnavailable({ message: "event store is unavailable" }),
      new CommandFailed({ message: "projection exploded" })
    ] as const

    for (const error of errors) {
      it.live(`returns ${error._tag}${"reason" in error ? ` (${error.reason})` : ""} with its tag and message`, () =>
        Effect.gen(function*() {
          const bus = yield* harness(() => Effect.fail(error))
          const received = yield* Effect.flip(bus.dispatch(makeCommand()))
          expect(received).toBeInstanceOf(error.constructor)
          expect(received._tag).toBe(error._tag)
          expect(received.message).toBe(error.message)
          if (error._tag === "CommandRejected") {
            expect(received._tag === "CommandRejected" && received.reason).toBe(error.reason)
          }
        }))
    }

    it.live("answers a handler defect with CommandFailed without leaking the defect", () =>
      Effect.gen(function*() {
        const bus = yield* harness(() => Effect.die(new Error("secret internals")))
        const received = yield* Effect.flip(bus.dispatch(makeCommand()))
        expect(received).toBeInstanceOf(CommandFailed)
        expect(received.message).not.toContain("secret")
      }))

    it.live("answers many concurrent dispatches, each with its own reply", () =>
      Effect.gen(function*() {
        const bus = yield* harness((command) =>
          // A little asynchrony so that replies overtake each other.
          Effect.sleep(`${(command.payload as { n: number }).n % 7} millis`).pipe(Effect.as(replyFor(command, 1, command.id)))
        )
        const commands = Array.from({ length: 300 }, (_, n) => makeCommand({ aggregateId: `d-${n}`, payload: { n } }))
        const replies = yield* Effect.forEach(commands, (command) => bus.dispatch(command), { concurrency: "unbounded" })
        expect(replies.map((reply) => reply.result)).toEqual(commands.map((command) => command.id))
      }))

    it.live("preserves the order of commands sent sequentially to one aggregate", () =>
      Effect.gen(function*() {
        const order: Array<number> = []
        const bus = yield* harness((command) =>
          Effect.sync(() => {
            order.push((command.payload as { seq: number }).seq)
            return replyFor(command, order.length)
          })
        )
        const versions: Array<number> = []
        for (let seq = 0; seq < 50; seq++) {
          const reply = yield* bus.dispatch(makeCommand({ payload: { seq } }))
          versions.push(reply.version)
        }
        expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
        expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
      }))
  })
