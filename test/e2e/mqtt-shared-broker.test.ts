import { randomBytes } from "node:crypto"
import { cpSync } from "node:fs"
import { join } from "node:path"
import { connect as connectNats, type NatsConnection } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadConfig } from "@machhub/server"
import { adminApi, type Api } from "../support/api.js"
import { collect, connectMqtt, until, type MqttClient, type Received } from "../support/mqtt.js"
import { describeWithNats, freePort, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/** The machine's own Mosquitto (anonymous allowed): the external broker both nodes share. */
const MQTT_URL = process.env["MACHHUB_TEST_MQTT_URL"] ?? "mqtt://127.0.0.1:1883"

/**
 * Distributed mode with an external broker (MQTT_URL): two nodes on one JetStream log share one
 * Mosquitto instead of each running its own. Each still fronts its clients (credentials, domain
 * prefix); a client on one node gets what a client on the other publishes, exactly once; each node's
 * historian records each value once; domains stay apart on the shared broker. The domains are named
 * per run, so parallel runs on the same broker do not meet.
 */
describeWithNats("MQTT through two nodes sharing one external broker (MQTT_URL)", () => {
  const run = randomBytes(4).toString("hex")
  const plant = `plant_${run}`
  const other = `other_${run}`
  let nats: NatsTestServer
  const nodes: Array<TestServer> = []
  const bDir = tempDir()
  const clients: Array<MqttClient> = []
  let bus: NatsConnection
  let onA: Api
  let onB: Api
  let tcpA: string
  let tcpB: string
  const keys: Record<string, string> = {}

  const connect = (url: string, domain: string, options: Parameters<typeof connectMqtt>[1] = {}) =>
    connectMqtt(url, { protocolVersion: 5, username: "mch_developer_key", password: keys[domain], ...options }, clients)
  const valueOn = async (node: Api, topic: string) => (await node.json("GET", `/machhub/tag/value/${topic}`)).body?.value
  const historyOn = async (node: Api, topic: string) =>
    (await node.json("PATCH", "/machhub/historian", { topic, start_time: new Date(Date.now() - 3_600_000).toISOString(), range: "2h" })).body as Array<{ value: unknown }>
  const payloads = (messages: ReadonlyArray<Received>, topic: string) => messages.filter((m) => m.topic === topic).map((m) => m.payload)

  beforeAll(async () => {
    nats = await startNatsServer()
    const shared = {
      natsUrl: nats.url,
      store: "jetstream" as const,
      jetstreamStream: `MQTT_SHARED_${process.pid}_${run}`,
      mqttPort: 0,
      mqttUrl: loadConfig({ MQTT_URL }).mqttUrl
    }
    nodes.push(await startTestServer(shared))
    // The second node accepts the first one's tokens and keys: it needs the same keys/.
    cpSync(join(nodes[0]!.dataDir, "keys"), join(bDir.path, "keys"), { recursive: true })
    nodes.push(await startTestServer({ ...shared, dataDir: bDir.path }))
    const admin = await adminApi(nodes[0]!.url)
    for (const domain of [plant, other]) {
      expect((await admin.json("POST", "/api/domains", { name: domain })).status).toBe(201)
      const issued = await admin.inDomain(domain).json("POST", "/api/api-key/generate", { name: "device", features: [{ name: "tags", action: "read-write", scope: "domain" }] })
      expect(issued.status, JSON.stringify(issued.body)).toBe(200)
      keys[domain] = issued.body.token
    }
    onA = admin.inDomain(plant)
    const adminB = await adminApi(nodes[1]!.url)
    onB = adminB.inDomain(plant)
    // Historized on both (the definition is an event in the shared log).
    expect((await onA.json("PUT", "/api/tags/line/temp", { access: "RW", historize: { type: "event" } })).status).toBe(200)
    for (let i = 0; i < 400 && (await onB.json("GET", "/api/tags")).body?.some?.((t: { topic: string }) => t.topic === "line/temp") !== true; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    const portOf = async (node: TestServer) => (await (await adminApi(node.url)).json("GET", "/machhub/")).body.uns.bind.mqtt.port as number
    tcpA = `mqtt://127.0.0.1:${await portOf(nodes[0]!)}`
    tcpB = `mqtt://127.0.0.1:${await portOf(nodes[1]!)}`
    bus = await connectNats({ servers: nats.url })
  }, 90_000)
  afterAll(async () => {
    for (const client of clients) client.end(true)
    await bus?.close()
    for (const node of nodes.reverse()) await node.dispose()
    bDir.cleanup()
    await nats?.dispose()
  })

  /**
   * A value written after the others, through node B, and seen on node A's subscriber: what was to
   * reach that subscriber before it has (a copy handed to the broker a second time would have been
   * sent before the mark was even written).
   */
  let marks = 0
  const settle = async (writer: MqttClient, messages: ReadonlyArray<Received>) => {
    const mark = `mark/${++marks}`
    await writer.publishAsync(mark, String(marks), { qos: 1 })
    await until(() => messages.some((m) => m.topic === mark), "the mark")
  }

  it("a client on node A receives, once, what a client on node B publishes; each node's historian records it once", async () => {
    const reader = await connect(tcpA, plant)
    const messages = collect(reader)
    await reader.subscribeAsync("#", { qos: 1 })
    const writer = await connect(tcpB, plant, { protocolVersion: 4 })
    await writer.publishAsync("line/temp", "21.5", { qos: 1 })
    await writer.publishAsync("line/temp", "22", { qos: 0 })
    await until(() => payloads(messages, "line/temp").length >= 2, "node B's values on node A")
    // Node A took both from NATS (node B recorded them): by then a second copy would be on its way.
    for (let i = 0; i < 400 && (await valueOn(onA, "line/temp")) !== 22; i++) await new Promise((r) => setTimeout(r, 25))
    expect(await valueOn(onA, "line/temp")).toBe(22)
    await settle(writer, messages)
    expect(payloads(messages, "line/temp")).toEqual(["21.5", "22"])
    for (const node of [onA, onB]) expect((await historyOn(node, "line/temp")).map((p) => p.value)).toEqual([21.5, 22])
  })

  it("a value written over HTTP on one node and a service's value on NATS reach the other node's subscribers once", async () => {
    const reader = await connect(tcpB, plant)
    const messages = collect(reader)
    await reader.subscribeAsync("http/#", { qos: 1 })
    await reader.subscribeAsync("mark/#", { qos: 1 })
    expect((await onA.json("POST", "/machhub/tag/http/level", { value: 7 })).status).toBe(200)
    bus.publish(`mh.tag.${plant}.http.service`, JSON.stringify({ value: "from a service" }))
    await bus.flush()
    await until(() => payloads(messages, "http/level").length >= 1 && payloads(messages, "http/service").length >= 1, "both values on node B")
    // Both nodes took the service's value in; each could have handed it to the broker.
    for (const node of [onA, onB]) {
      for (let i = 0; i < 400 && (await valueOn(node, "http/service")) !== "from a service"; i++) await new Promise((r) => setTimeout(r, 25))
    }
    await settle(await connect(tcpA, plant), messages)
    expect(payloads(messages, "http/level")).toEqual(["7"])
    expect(payloads(messages, "http/service")).toEqual(["from a service"])
  })

  it("keeps domains apart on the shared broker, whichever node each client uses", async () => {
    const stranger = await connect(tcpA, other)
    const strangerMessages = collect(stranger)
    await stranger.subscribeAsync(["#", "+/#", "$share/all/#"], { qos: 1 })
    const writer = await connect(tcpB, plant)
    for (const topic of ["secret/x", `../${other}/secret`, `uns/${other}/secret`, `${other}/secret`]) await writer.publishAsync(topic, "plant only", { qos: 1 })
    // The broker itself holds them under the plant domain's prefix only.
    const raw = await connectMqtt(MQTT_URL, { protocolVersion: 5 }, clients)
    const rawMessages = collect(raw)
    await raw.subscribeAsync(`uns/${other}/#`, { qos: 1 })
    await raw.subscribeAsync(`uns/${plant}/secret/#`, { qos: 1 })
    await writer.publishAsync("secret/x", "plant only again", { qos: 1 })
    await until(() => rawMessages.some((m) => m.payload === "plant only again"), "the value on the broker under the plant prefix")
    await stranger.publishAsync("own", "other's own", { qos: 1 })
    await until(() => strangerMessages.some((m) => m.topic === "own"), "the other domain's own value")
    expect(strangerMessages.filter((m) => m.payload !== "other's own")).toEqual([])
    expect(rawMessages.filter((m) => m.topic.startsWith(`uns/${other}/`)).map((m) => m.payload)).toEqual(["other's own"])
  })
})

describe("MQTT_URL naming a broker that is down", () => {
  let server: TestServer
  const clients: Array<MqttClient> = []
  beforeAll(async () => {
    // A port nobody listens on: the broker is not there (yet).
    server = await startTestServer({ mqttPort: 0, mqttUrl: loadConfig({ MQTT_URL: `mqtt://edge:not-logged@127.0.0.1:${await freePort()}` }).mqttUrl })
  })
  afterAll(async () => {
    for (const client of clients) client.end(true)
    await server?.dispose()
  })

  it("runs the edge anyway and refuses clients with 'server unavailable' until the broker is there", async () => {
    const admin = await adminApi(server.url)
    const info = await admin.json("GET", "/machhub/")
    expect(info.body.uns.bind.mqtt.enabled).toBe(true)
    const url = `mqtt://127.0.0.1:${info.body.uns.bind.mqtt.port}`
    await expect(connectMqtt(url, { protocolVersion: 5, username: "any", password: admin.token }, clients)).rejects.toMatchObject({ code: 0x88 })
    await expect(connectMqtt(url, { protocolVersion: 4, username: "any", password: admin.token }, clients)).rejects.toMatchObject({ code: 3 })
    // HTTP writes still work; their values wait for the broker (or are dropped past a bound).
    expect((await admin.json("POST", "/machhub/tag/down/level", { value: 1 })).status).toBe(200)
  })
})
