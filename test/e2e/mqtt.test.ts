import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { collect, connectMqtt, subscribeCodes, until, type MqttClient } from "../support/mqtt.js"
import { rawRequest, statusOf } from "../support/rawHttp.js"
import { startTestServer, type TestServer } from "../support/server.js"

/**
 * MQTT against the real server and its real broker: MQTT 5 and 3.1.1 clients (the `mqtt` package)
 * over TCP (MACHHUB_MQTT_PORT, a free port here) and over WebSocket at /mqtt on the HTTP port, with
 * developer keys and tokens as the SDK and devices send them.
 */
describe("MQTT through the server", () => {
  let server: TestServer
  let admin: Api
  let tcpUrl: string
  let wsUrl: string
  const keys: Record<string, { id: string; token: string }> = {}
  let aliceToken: string
  const clients: Array<MqttClient> = []

  type Transport = "tcp" | "ws"
  const connect = (transport: Transport, password: string | undefined, options: Parameters<typeof connectMqtt>[1] = {}) =>
    connectMqtt(transport === "tcp" ? tcpUrl : wsUrl, { protocolVersion: 5, username: "mch_developer_key", password, ...options }, clients)

  const issueKey = async (domain: string, name: string, action: "read" | "read-write" | undefined) => {
    const features = action === undefined ? [{ name: "collections", action: "read", scope: "domain" }] : [{ name: "tags", action, scope: "domain" }]
    const issued = await admin.inDomain(domain).json("POST", "/api/api-key/generate", { name, features })
    expect(issued.status, JSON.stringify(issued.body)).toBe(200)
    keys[name] = { id: issued.body.id, token: issued.body.token }
  }

  beforeAll(async () => {
    server = await startTestServer({ mqttPort: 0 })
    admin = await adminApi(server.url)
    for (const domain of ["alpha", "beta"]) expect([201, 409]).toContain((await admin.json("POST", "/api/domains", { name: domain })).status)
    await issueKey("alpha", "alpha", "read-write")
    await issueKey("alpha", "alphaReader", "read")
    await issueKey("alpha", "alphaNothing", undefined)
    await issueKey("beta", "beta", "read-write")
    await issueKey("alpha", "doomed", "read-write")
    const alice = await seedDomainUser(admin, { domain: "alpha", username: "alice", group: "operators", permissions: [{ feature: "tags", action: "read-write", scope: "domain" }] })
    aliceToken = alice.api.token
    const info = await admin.json("GET", "/machhub/")
    tcpUrl = `mqtt://127.0.0.1:${info.body.uns.bind.mqtt.port}`
    wsUrl = `ws://127.0.0.1:${server.port}/mqtt`
  })
  afterAll(async () => {
    for (const client of clients) client.end(true)
    await server.dispose()
  })

  it("reports both listeners as running in GET /machhub/", async () => {
    const info = await admin.json("GET", "/machhub/")
    expect(info.body.uns.bind.mqtt.enabled).toBe(true)
    expect(info.body.uns.bind.mqtt.port).toBeGreaterThan(0)
    expect(info.body.uns.bind.ws).toEqual({ host: "127.0.0.1", port: server.port, enabled: true })
    expect(info.body.uns.bind.mqtts.enabled).toBe(false)
  })

  for (const [transport, version] of [["ws", 5], ["tcp", 5], ["ws", 4], ["tcp", 4]] as const) {
    it(`relays QoS 0, 1 and 2 with wildcards and retained values (MQTT ${version === 5 ? "5" : "3.1.1"} over ${transport})`, async () => {
      const base = `plant-${transport}-${version}`
      const reader = await connect(transport, keys["alpha"]!.token, { protocolVersion: version })
      const messages = collect(reader)
      await reader.subscribeAsync([`${base}/+/temp`, `${base}/line/#`], { qos: 2 })
      const writer = await connect(transport, keys["alpha"]!.token, { protocolVersion: version })
      await writer.publishAsync(`${base}/a/temp`, "20.5", { qos: 0 })
      await writer.publishAsync(`${base}/b/temp`, JSON.stringify({ value: 21 }), { qos: 1 })
      await writer.publishAsync(`${base}/line/1/speed`, "3", { qos: 2, retain: true })
      await until(() => messages.length === 3, "three values")
      expect(messages.map((m) => [m.topic, m.payload, m.qos]).sort()).toEqual([
        [`${base}/a/temp`, "20.5", 0],
        [`${base}/b/temp`, '{"value":21}', 1],
        [`${base}/line/1/speed`, "3", 2]
      ])
      // A later subscriber gets the retained value at once.
      const late = await connect(transport, keys["alpha"]!.token, { protocolVersion: version })
      const lateMessages = collect(late)
      await late.subscribeAsync(`${base}/#`, { qos: 1 })
      await until(() => lateMessages.length === 1, "the retained value")
      expect(lateMessages[0]).toMatchObject({ topic: `${base}/line/1/speed`, payload: "3", retain: true })
    })
  }

  it("keeps domains apart: beta never receives alpha's values, whatever alpha writes or beta subscribes to", async () => {
    const beta = await connect("ws", keys["beta"]!.token)
    const betaMessages = collect(beta)
    await beta.subscribeAsync(["#", "+/#", "$share/all/#", "uns/#", "alpha/#"], { qos: 1 })
    const alphaTcp = await connect("tcp", keys["alpha"]!.token, { protocolVersion: 4 })
    const alphaWs = await connect("ws", keys["alpha"]!.token)
    const spellings = ["beta/x", "uns/beta/x", "../beta/x", "/uns/beta/x", "uns/beta/#x", "domains:beta/x"].filter((t) => !t.includes("#"))
    for (const topic of spellings) {
      await alphaTcp.publishAsync(topic, "from alpha", { qos: 1 })
      await alphaWs.publishAsync(topic, "from alpha", { qos: 1, properties: { topicAlias: 7 } })
    }
    // Broker-level spellings are not topic names a client may publish to.
    for (const topic of ["$share/all/beta/x", "$SYS/x", "$uns/beta/x"]) {
      await expect(alphaWs.publishAsync(topic, "from alpha", { qos: 1 })).rejects.toMatchObject({ code: 0x90 })
    }
    // A topic alias set by alpha names alpha's topic only; an alias alone cannot reach beta.
    await alphaWs.publishAsync("", "from alpha by alias", { qos: 1, properties: { topicAlias: 7 } })
    await beta.publishAsync("beta-marker", "from beta", { qos: 1 })
    await until(() => betaMessages.some((m) => m.topic === "beta-marker"), "beta's own value")
    expect(betaMessages.filter((m) => m.payload !== "from beta")).toEqual([])
  })

  it("takes a JWT as password with any username, and a domains:<name> username picks the domain", async () => {
    const alphaReader = await connect("tcp", keys["alpha"]!.token)
    const messages = collect(alphaReader)
    await alphaReader.subscribeAsync("jwt/#", { qos: 1 })
    const withToken = await connect("ws", aliceToken, { username: "domains:alpha" })
    await withToken.publishAsync("jwt/one", "1", { qos: 1 })
    await until(() => messages.length === 1, "the value written with a token")
    expect(messages[0]).toMatchObject({ topic: "jwt/one", payload: "1" })
    // Alice is not a member of beta: not authorized.
    await expect(connect("tcp", aliceToken, { username: "domains:beta" })).rejects.toMatchObject({ code: 0x87 })
  })

  it("refuses missing and bad credentials with each version's CONNACK code", async () => {
    for (const transport of ["tcp", "ws"] as const) {
      await expect(connect(transport, undefined, { username: undefined })).rejects.toMatchObject({ code: 0x87 })
      await expect(connect(transport, undefined, { username: undefined, protocolVersion: 4 })).rejects.toMatchObject({ code: 5 })
      await expect(connect(transport, `mchx_${"A".repeat(43)}`)).rejects.toMatchObject({ code: 0x86 })
      await expect(connect(transport, "not-a-token", { protocolVersion: 4 })).rejects.toMatchObject({ code: 4 })
    }
  })

  it("answers refused subscriptions and publishes with reason codes", async () => {
    const nothing = await connect("tcp", keys["alphaNothing"]!.token)
    expect(await subscribeCodes(nothing, ["a/#"])).toEqual([0x87])
    await expect(nothing.publishAsync("a", "1", { qos: 1 })).rejects.toMatchObject({ code: 0x87 })
    const reader = await connect("ws", keys["alphaReader"]!.token)
    // Valid MQTT filters the server does not take: the broker's own $ topics, filters over 512 bytes.
    expect(await subscribeCodes(reader, ["ok/#", "$SYS/#", `${"x".repeat(513)}/#`, "$share/g/ok/#"])).toEqual([1, 0x8f, 0x8f, 1])
    await expect(reader.publishAsync("ok/x", "1", { qos: 1 })).rejects.toMatchObject({ code: 0x87 })
    await expect(reader.publishAsync("ok/x", "1", { qos: 2 })).rejects.toMatchObject({ code: 0x87 })
    const writer = await connect("tcp", keys["alpha"]!.token)
    await expect(writer.publishAsync(`long/${"x".repeat(600)}`, "1", { qos: 1 })).rejects.toMatchObject({ code: 0x90 })
    const v3 = await connect("tcp", keys["alphaReader"]!.token, { protocolVersion: 4 })
    expect(await subscribeCodes(v3, ["ok/#", "$SYS/#"])).toEqual([1, 0x80])
  })

  it("hands published values to the tag value pipeline (last value over HTTP)", async () => {
    const writer = await connect("ws", keys["alpha"]!.token)
    await writer.publishAsync("pipeline/temp", "42.5", { qos: 1 })
    await writer.publishAsync("pipeline/text", "not json", { qos: 1 })
    const alpha = admin.inDomain("alpha")
    await until(() => true, "")
    const number = await alpha.json("GET", "/machhub/tag/value/pipeline/temp")
    expect(number.status).toBe(200)
    expect(number.body).toMatchObject({ topic: "pipeline/temp", value: 42.5 })
    const text = await alpha.json("GET", "/machhub/tag/value/pipeline/text")
    expect(text.body).toMatchObject({ value: "not json" })
    expect((await admin.inDomain("beta").json("GET", "/machhub/tag/value/pipeline/temp")).status).toBe(404)
  })

  it("relays values written over HTTP to MQTT subscribers of their domain, retained, and MQTT's own values once", async () => {
    const reader = await connect("ws", keys["alpha"]!.token)
    const messages = collect(reader)
    await reader.subscribeAsync("http/#", { qos: 1 })
    const beta = await connect("tcp", keys["beta"]!.token)
    const betaMessages = collect(beta)
    await beta.subscribeAsync("#", { qos: 1 })
    const alpha = admin.inDomain("alpha")
    expect((await alpha.json("POST", "/machhub/tag/http/pressure", { value: { bar: 1.5 } })).status).toBe(200)
    expect((await alpha.json("POST", "/machhub/tag/http/label", { value: "text value" })).status).toBe(200)
    const writer = await connect("tcp", keys["alpha"]!.token)
    await writer.publishAsync("http/from-mqtt", "7", { qos: 1 })
    await until(() => messages.length >= 3, "the values written over HTTP and MQTT")
    expect(messages.map((m) => [m.topic, m.payload]).sort()).toEqual([["http/from-mqtt", "7"], ["http/label", "text value"], ["http/pressure", '{"bar":1.5}']])
    const late = await connect("tcp", keys["alpha"]!.token, { protocolVersion: 4 })
    const lateMessages = collect(late)
    await late.subscribeAsync("http/pressure", { qos: 0 })
    await until(() => lateMessages.length === 1, "the retained value")
    expect(lateMessages[0]).toMatchObject({ payload: '{"bar":1.5}', retain: true })
    await beta.publishAsync("beta-marker", "x", { qos: 1 })
    await until(() => betaMessages.length >= 1, "beta's marker")
    expect(betaMessages.map((m) => m.topic)).toEqual(["beta-marker"])
    // Nothing arrives twice.
    expect(messages.length).toBe(3)
    // A batch of values arrives whole, each value once.
    const batch = Array.from({ length: 2000 }, (_, i) => ({ topic: `http/batch/${i % 50}`, value: i }))
    expect((await alpha.json("POST", "/machhub/tag/batch", batch)).status).toBe(200)
    await until(() => messages.length === 3 + 2000, "the batch's values")
    expect(messages.slice(3).map((m) => Number(m.payload))).toEqual(batch.map((v) => v.value))
  })

  it("refuses client writes to a tag with access R, and defines a new topic on its first value", async () => {
    const alpha = admin.inDomain("alpha")
    expect((await alpha.json("PUT", "/api/tags/ro/setpoint", { access: "R" })).status).toBe(200)
    const watcher = await connect("tcp", keys["alpha"]!.token)
    const messages = collect(watcher)
    await watcher.subscribeAsync(["ro/#", "fresh/#"], { qos: 1 })
    const v5 = await connect("ws", keys["alpha"]!.token)
    await expect(v5.publishAsync("ro/setpoint", "1", { qos: 1 })).rejects.toMatchObject({ code: 0x87 })
    await expect(v5.publishAsync("ro/setpoint", "1", { qos: 2 })).rejects.toMatchObject({ code: 0x87 })
    // 3.1.1 has no code for it: acknowledged and not passed on.
    const v3 = await connect("tcp", keys["alpha"]!.token, { protocolVersion: 4 })
    await v3.publishAsync("ro/setpoint", "2", { qos: 1 })
    await v3.publishAsync("fresh/topic", "3", { qos: 1 })
    await until(() => messages.length >= 1, "the value of the new topic")
    expect(messages.map((m) => [m.topic, m.payload])).toEqual([["fresh/topic", "3"]])
    for (let i = 0; i < 100; i++) {
      const list = await alpha.json("GET", "/machhub/tag/list")
      if ((list.body as Array<string>).includes("fresh/topic")) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect((await alpha.json("GET", "/machhub/tag/list")).body).toContain("fresh/topic")
    expect((await admin.inDomain("beta").json("GET", "/machhub/tag/list")).body).not.toContain("fresh/topic")
  })

  it("ends a key's connections when the key is revoked", async () => {
    const client = await connect("tcp", keys["doomed"]!.token)
    const v3 = await connect("ws", keys["doomed"]!.token, { protocolVersion: 4 })
    const reason = new Promise<number | undefined>((resolve) => client.on("disconnect", (packet) => resolve(packet.reasonCode)))
    const v3Closed = new Promise<void>((resolve) => v3.on("close", () => resolve()))
    const revoked = await admin.inDomain("alpha").json("DELETE", `/api/api-key/${keys["doomed"]!.id}`)
    expect(revoked.status).toBe(200)
    expect(await reason).toBe(0x87)
    await v3Closed
    await expect(connect("tcp", keys["doomed"]!.token)).rejects.toMatchObject({ code: 0x86 })
  })

  it("ends a user's token connections when the user is disabled, and a group's when its permissions change", async () => {
    const bob = await seedDomainUser(admin, { domain: "alpha", username: "bob", group: "watchers", permissions: [{ feature: "tags", action: "read", scope: "domain" }] })
    const carol = await seedDomainUser(admin, { domain: "alpha", username: "carol", group: "loggers", permissions: [{ feature: "tags", action: "read", scope: "domain" }] })
    const bobClient = await connect("ws", bob.api.token, { username: "domains:alpha" })
    const carolClient = await connect("tcp", carol.api.token, { username: "domains:alpha" })
    const bobReason = new Promise<number | undefined>((resolve) => bobClient.on("disconnect", (packet) => resolve(packet.reasonCode)))
    const carolReason = new Promise<number | undefined>((resolve) => carolClient.on("disconnect", (packet) => resolve(packet.reasonCode)))
    const alpha = admin.inDomain("alpha")
    expect((await alpha.json("POST", `/api/users/${bob.userId}/disable`)).status).toBe(200)
    expect(await bobReason).toBe(0x87)
    await expect(connect("ws", bob.api.token, { username: "domains:alpha" })).rejects.toMatchObject({ code: 0x86 })
    expect((await alpha.json("POST", "/api/groups/loggers/permissions", { feature: "tags", action: "read-write", scope: "domain" })).status).toBe(200)
    expect(await carolReason).toBe(0x87)
    // Connecting again, carol may now write.
    const again = await connect("tcp", carol.api.token, { username: "domains:alpha" })
    await again.publishAsync("carol/wrote", "1", { qos: 1 })
  })

  it("refuses a WebSocket upgrade asking for another subprotocol", async () => {
    const raw = await rawRequest(
      server.port,
      "GET /mqtt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    )
    expect(statusOf(raw)).toBe(400)
    expect(raw).toContain("subprotocol mqtt")
  })
})
