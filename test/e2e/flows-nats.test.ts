import { connect, type NatsConnection } from "@nats-io/transport-node"
import { afterAll, beforeAll, expect, it } from "vitest"
import { adminApi, type Api } from "../support/api.js"
import { describeWithManagedNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { startTestServer, type TestServer } from "../support/server.js"

const until = async <T>(read: () => Promise<T | undefined>, what: string, timeoutMillis = 10_000): Promise<T> => {
  for (const started = Date.now(); ; ) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() - started > timeoutMillis) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describeWithManagedNats("flows' NATS nodes (mh.flow.<domain>.<subject>)", () => {
  let nats: NatsTestServer
  let server: TestServer
  let client: NatsConnection
  let acme: Api
  beforeAll(async () => {
    nats = await startNatsServer()
    server = await startTestServer({ natsUrl: nats.url })
    client = await connect({ servers: nats.url })
    const admin = await adminApi(server.url)
    expect((await admin.json("POST", "/api/domains", { name: "acme" })).status).toBe(201)
    acme = admin.inDomain("acme")
  }, 60_000)
  afterAll(async () => {
    await client?.close()
    await server?.dispose()
    await nats?.dispose()
  })

  it("publishes on the domain's subjects and takes messages from them into the flow", async () => {
    const flows = [
      { id: "tab1", type: "tab", label: "NATS" },
      { id: "in1", type: "machhub.flow.in", z: "tab1", name: "order", wires: [["out1", "resp1"]] },
      { id: "out1", type: "machhub.nats.out", z: "tab1", subject: "orders.new", wires: [] },
      { id: "resp1", type: "machhub.flow.response", z: "tab1", wires: [] },
      { id: "sub1", type: "machhub.nats.in", z: "tab1", subject: "machines.>", wires: [["tw1"]] },
      { id: "tw1", type: "machhub.tag.write", z: "tab1", topic: "Seen/Machine", wires: [] }
    ]
    expect((await acme.json("POST", "/api/flows", flows)).status).toBe(200)

    const received: Array<{ subject: string; body: unknown }> = []
    client.subscribe("mh.flow.>", {
      callback: (error, msg) => {
        if (error === null) received.push({ subject: msg.subject, body: JSON.parse(new TextDecoder().decode(msg.data)) })
      }
    })
    await client.flush()
    expect((await acme.json("POST", "/machhub/flow/execute/name/order", { sku: "A-1" })).body).toEqual({ success: true, msg: { sku: "A-1" } })
    const published = await until(async () => received.find((r) => r.subject === "mh.flow.acme.orders.new"), "the flow's publish")
    expect(published.body).toEqual({ sku: "A-1" })

    // Another domain's subject does not reach acme's flow; acme's does.
    client.publish("mh.flow.beta.machines.m1", new TextEncoder().encode(JSON.stringify({ state: "beta" })))
    client.publish("mh.flow.acme.machines.m1", new TextEncoder().encode(JSON.stringify({ state: "RUNNING" })))
    await client.flush()
    const seen = await until(async () => {
      const value = await acme.json("GET", "/machhub/tag/value/Seen/Machine")
      return value.status === 200 ? value.body : undefined
    }, "the subscribed message written to the tag")
    expect(seen.value).toEqual({ state: "RUNNING" })
  }, 60_000)
})
