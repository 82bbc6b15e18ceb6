import { connect } from "@nats-io/transport-node"
import { decode as decodeMsgpack } from "msgpackr"
import { afterAll, beforeAll, expect, it } from "vitest"
import { ADMIN_PASSWORD, postJson, startTestServer, type TestServer } from "../support/server.js"
import { describeWithManagedNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"

const login = (server: TestServer, password = ADMIN_PASSWORD) =>
  postJson(`${server.url}/auth/login`, { username: "admin", password })

describeWithManagedNats("the server with NATS_URL", () => {
  let nats: NatsTestServer
  let server: TestServer
  beforeAll(async () => {
    nats = await startNatsServer()
    server = await startTestServer({ natsUrl: nats.url })
  })
  afterAll(async () => {
    await server?.dispose()
    await nats?.dispose()
  })

  it("carries login over NATS and publishes its events on mh.evt.<domain>.<category>.<Type>", async () => {
    const subscriber = await connect({ servers: nats.url })
    const received: Array<{ subject: string; body: Record<string, unknown> }> = []
    const sub = subscriber.subscribe("mh.evt.machhub_admin.user.>", {
      callback: (_error, msg) => {
        received.push({ subject: msg.subject, body: decodeMsgpack(msg.data) as Record<string, unknown> })
      }
    })
    await subscriber.flush()
    const correlationId = "0190f3c2-bbbb-7ccc-8ddd-000000000001"
    const response = await postJson(`${server.url}/auth/login`, { username: "admin", password: ADMIN_PASSWORD }, { "App-CorrelationID": correlationId })
    expect(response.status).toBe(200)
    for (let i = 0; i < 100 && !received.some((r) => (r.body["meta"] as { correlationId?: string })?.correlationId === correlationId); i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    const published = received.find((r) => (r.body["meta"] as { correlationId?: string })?.correlationId === correlationId)
    expect(published?.subject).toBe("mh.evt.machhub_admin.user.LoginSucceeded")
    expect(published?.body).toMatchObject({ type: "LoginSucceeded", stream: expect.stringMatching(/^user-machhub_admin-/) })
    expect(typeof published?.body["id"]).toBe("string")
    sub.unsubscribe()
    await subscriber.close()
  })

  it("answers 503 quickly while NATS is down and resumes without a restart when it returns", async () => {
    expect((await login(server)).status).toBe(200)
    await nats.stop()
    // Poll until the server notices the outage, then measure one answer: it must not wait for a timeout.
    let during: Response | undefined
    for (let i = 0; i < 100; i++) {
      during = await login(server)
      if (during.status === 503) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(during?.status).toBe(503)
    expect(during?.headers.get("retry-after")).toBe("1")
    expect(await during?.text()).toMatch(/unavailable.*Retry shortly/i)
    const started = Date.now()
    const again = await login(server)
    expect(again.status).toBe(503)
    expect(Date.now() - started).toBeLessThan(5_000) // far below the 10 s request timeout
    await nats.restart()
    let after: Response | undefined
    for (let i = 0; i < 200; i++) {
      after = await login(server)
      if (after.status === 200) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(after?.status).toBe(200)
    expect(((await after!.json()) as { success: boolean }).success).toBe(true)
  })
})
