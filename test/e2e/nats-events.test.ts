import { connect, type NatsConnection } from "@nats-io/transport-node"
import { unpack } from "msgpackr"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { eventSubject, type RecordedEvent } from "@machhub/core"
import { api, seedDomainUser } from "../support/api.js"
import { describeWithManagedNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { ADMIN_PASSWORD, loginAsAdmin, startTestServer } from "../support/server.js"
import { spawnServer, waitForLogin, type ServerProcess } from "../support/serverProcess.js"
import { tempDir } from "../support/temp.js"

interface Received {
  readonly subject: string
  readonly msgId: string | undefined
  readonly contentType: string | undefined
  readonly body: Record<string, any>
}

/** Everything published on `mh.evt.>` from now on, decoded by its Content-Type. */
const listen = async (url: string): Promise<{ readonly received: Array<Received>; readonly close: () => Promise<void> }> => {
  const connection: NatsConnection = await connect({ servers: url })
  const received: Array<Received> = []
  connection.subscribe("mh.evt.>", {
    callback: (error, msg) => {
      if (error !== null) return
      const contentType = msg.headers?.get("Content-Type")
      const body = contentType === "application/json" ? JSON.parse(new TextDecoder().decode(msg.data)) : unpack(msg.data)
      received.push({ subject: msg.subject, msgId: msg.headers?.get("Nats-Msg-Id"), contentType, body })
    }
  })
  await connection.flush()
  return { received, close: () => connection.close() }
}

const until = async (condition: () => boolean, what: string, timeoutMillis = 10_000) => {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > timeoutMillis) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describeWithManagedNats("committed events on NATS (mh.evt.<domain>.<category>.<EventType>)", () => {
  let nats: NatsTestServer
  beforeAll(async () => {
    nats = await startNatsServer()
  })
  afterAll(() => nats?.dispose())

  it("publishes every committed event after commit, msgpack by default, its id in the body and in Nats-Msg-Id", async () => {
    const server = await startTestServer({ natsUrl: nats.url })
    const bus = await listen(nats.url)
    try {
      const mark = await Effect.runPromise(server.store.headPosition)
      const admin = api(server.url, await loginAsAdmin(server.url))
      const wendy = await seedDomainUser(admin, { domain: "acme", username: "wendy", group: "w", permissions: [{ feature: "collections", action: "read-write", scope: "domain" }] })
      expect((await wendy.api.json("POST", "/machhub/products", { name: "drill" })).status).toBe(201)
      const committed = (await Effect.runPromise(server.store.readAll(mark + 1, 10_000))) as Array<RecordedEvent>
      expect(committed.length).toBeGreaterThan(5)
      await until(() => committed.every((e) => bus.received.some((r) => r.msgId === e.id)), "every committed event")
      for (const event of committed) {
        const message = bus.received.find((r) => r.msgId === event.id)!
        expect(message.subject).toBe(eventSubject(event))
        expect(message.contentType).toBe("application/msgpack")
        expect(message.body).toEqual(JSON.parse(JSON.stringify(event)))
      }
      expect(bus.received.find((r) => r.body.type === "RecordCreated")?.subject).toBe("mh.evt.acme.record.RecordCreated")
    } finally {
      await bus.close()
      await server.dispose()
    }
  })

  it("publishes JSON when MACHHUB_EVENT_FORMAT=json", async () => {
    const server = await startTestServer({ natsUrl: nats.url, env: { MACHHUB_EVENT_FORMAT: "json" } })
    const bus = await listen(nats.url)
    try {
      expect(server.dataDir).toBeTruthy()
      const token = await loginAsAdmin(server.url)
      expect(token).toBeTruthy()
      await until(() => bus.received.some((r) => r.body.type === "LoginSucceeded"), "the login's event")
      const login = bus.received.find((r) => r.body.type === "LoginSucceeded")!
      expect(login.contentType).toBe("application/json")
      expect(login.subject).toBe("mh.evt.machhub_admin.user.LoginSucceeded")
      expect(login.msgId).toBe(login.body.id)
      expect(login.body).toMatchObject({ stream: expect.stringMatching(/^user-machhub_admin-/), meta: { domain: "machhub_admin", actor: { kind: "user" } } })
    } finally {
      await bus.close()
      await server.dispose()
    }
  })

  it("resumes from the last published position after a crash: events committed while nothing published them go out after restart", async () => {
    const dir = tempDir()
    const bus = await listen(nats.url)
    const running: Array<ServerProcess> = []
    const start = async (natsUrl: string) => {
      const server = await spawnServer({ MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD, NATS_URL: natsUrl })
      running.push(server)
      return { server, admin: api(server.url, await waitForLogin(server.url, "admin", ADMIN_PASSWORD)) }
    }
    const kill = async (server: ServerProcess) => {
      server.child.kill("SIGKILL")
      expect(await server.exited).toBe("SIGKILL")
    }
    try {
      // 1. With NATS: events are published as they commit. Then the process is killed outright.
      const first = await start(nats.url)
      expect((await first.admin.json("POST", "/api/domains", { name: "one" })).status).toBe(201)
      await until(() => bus.received.some((r) => r.body.type === "DomainCreated" && r.body.data.name === "one"), "domain one published")
      await kill(first.server)

      // 2. Without NATS (nothing publishes): events commit, then this process is killed too.
      const second = await start("")
      expect((await second.admin.json("POST", "/api/domains", { name: "two" })).status).toBe(201)
      expect((await second.admin.inDomain("two").json("POST", "/api/users", { username: "tess", password: "tess-password-1" })).status).toBe(201)
      await kill(second.server)
      expect(bus.received.some((r) => r.body.type === "DomainCreated" && r.body.data.name === "two")).toBe(false)

      // 3. With NATS again: the publisher resumes from its checkpoint, and every committed event goes out.
      const third = await start(nats.url)
      const log = (await (await third.admin.request("GET", "/api/audit/events/export")).text())
        .split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as RecordedEvent)
      const twoDomain = log.find((e) => e.type === "DomainCreated" && (e.data as { name: string }).name === "two")!
      expect(twoDomain).toBeDefined()
      await until(() => log.every((e) => bus.received.some((r) => r.msgId === e.id)), "every event of the log published", 15_000)
      const published = bus.received.find((r) => r.msgId === twoDomain.id)!
      expect(published.subject).toBe(eventSubject(twoDomain))
      expect(published.body.position).toBe(twoDomain.position)
      // At least once: a re-sent event is the same event (same id and position), never a different one.
      for (const message of bus.received) {
        const original = log.find((e) => e.id === message.msgId)
        if (original !== undefined) expect(message.body.position).toBe(original.position)
      }
      third.server.child.kill("SIGTERM")
      expect(await third.server.exited).toBe(0)
    } finally {
      for (const server of running) server.child.kill("SIGKILL")
      await bus.close()
      dir.cleanup()
    }
  }, 60_000)
})
