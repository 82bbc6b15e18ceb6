import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { connectNats, decodeMsgpack, encodeMsgpack, makeNatsCommandBus, makeSqliteEventStore, serveCommands } from "@machhub/adapters"
import {
  CommandRejected,
  EventStore,
  makeActorSystem,
  sessionAggregate,
  userAggregate,
  uuidv7,
  type Command
} from "@machhub/core"
import { Effect } from "effect"
import { describeWithNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"
import { tempDir } from "../support/temp.js"

/**
 * Commands that reach core over NATS from another process are decoded by their aggregate's Schemas
 * where they enter core: a malformed payload is refused as invalid, naming the field, and nothing is
 * decided or appended.
 */
describeWithNats("NATS-delivered commands are decoded by their Schemas", () => {
  let server: NatsTestServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  const command = (type: string, category: string, payload: unknown): Command => ({
    id: uuidv7(),
    type,
    category,
    domain: "acme",
    aggregateId: "u-1",
    actor: { kind: "user", id: "admin" },
    payload,
    correlationId: uuidv7()
  })

  const serving = Effect.gen(function*() {
    const dir = tempDir()
    yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
    const store = yield* makeSqliteEventStore({ path: `${dir.path}/events.db` })
    const actors = yield* makeActorSystem([userAggregate, sessionAggregate]).pipe(Effect.provideService(EventStore, store))
    yield* serveCommands(yield* connectNats({ servers: server.url, name: "schemas-serve" }), actors.handle)
    const calling = yield* connectNats({ servers: server.url, name: "schemas-call" })
    return { store, calling }
  })

  it.live("answers a raw request whose payload does not match its command's Schema with an invalid refusal naming the field", () =>
    Effect.gen(function*() {
      const { store, calling } = yield* serving
      const raw = (sent: Command) =>
        Effect.promise(() => calling.connection.request(`mh.cmd.${sent.domain}.${sent.category}`, encodeMsgpack(sent), { timeout: 5_000 })).pipe(
          Effect.map((msg) => decodeMsgpack(msg.data) as { ok: boolean; error?: { _tag: string; reason?: string; message: string } })
        )

      const wrongType = yield* raw(command("registerUser", "user", { userId: "u-1", username: "ada", passwordHash: 42, memberships: [] }))
      expect(wrongType.ok).toBe(false)
      expect(wrongType.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(wrongType.error!.message).toContain("registerUser")
      expect(wrongType.error!.message).toContain("passwordHash")

      const missing = yield* raw(command("registerUser", "user", { userId: "u-1", username: "ada", passwordHash: "scrypt$x" }))
      expect(missing.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(missing.error!.message).toContain("memberships")

      const nested = yield* raw(command("setMembership", "user", { membership: { domain: "acme", groups: [7] } }))
      expect(nested.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(nested.error!.message).toContain("groups")

      const notAnObject = yield* raw(command("changePassword", "user", "hunter2"))
      expect(notAnObject.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(notAnObject.error!.message).toContain("payload must be an object")

      const notAnInteger = yield* raw(command("openSession", "session", { userId: "u-1", refreshExpiresAt: 1.5, address: null }))
      expect(notAnInteger.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid" })
      expect(notAnInteger.error!.message).toContain("refreshExpiresAt")

      const unknown = yield* raw(command("renameUser", "user", {}))
      expect(unknown.error).toMatchObject({ _tag: "CommandRejected", reason: "invalid", message: "unknown command renameUser for user" })

      // Nothing was decided, so nothing was appended.
      expect(yield* store.readStream("user-acme-u-1")).toEqual([])
      expect(yield* store.readStream("session-acme-u-1")).toEqual([])

      // The bus client turns the same refusal into the core error class; a well-formed command passes.
      const bus = makeNatsCommandBus(calling)
      const refused = yield* Effect.flip(bus.dispatch(command("changePassword", "user", { passwordHash: null })))
      expect(refused).toBeInstanceOf(CommandRejected)
      expect(refused).toMatchObject({ reason: "invalid" })
      const registered = yield* bus.dispatch(command("registerUser", "user", {
        userId: "u-1",
        username: "ada",
        passwordHash: "scrypt$x",
        memberships: [{ domain: "acme", groups: ["viewers"] }]
      }))
      expect(registered).toMatchObject({ version: 1, eventCount: 1, result: { userId: "u-1" } })
    }))
})
