import { jetstreamManager } from "@nats-io/jetstream"
import { connect, headers, type NatsConnection } from "@nats-io/transport-node"
import { afterAll, beforeAll, expect, it } from "vitest"
import { cpSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { adminApi, api, type Api } from "../support/api.js"
import { collect, connectMqtt, type MqttClient } from "../support/mqtt.js"
import { describeWithNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

interface Seen {
  readonly subject: string
  readonly origin: string | undefined
  readonly body: string
}

const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMillis = 10_000) => {
  for (const started = Date.now(); !(await condition()); ) {
    if (Date.now() - started > timeoutMillis) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const encoder = new TextEncoder()

/**
 * Tag values on NATS against the real server and a real nats-server: every value, however it came,
 * is on mh.tag.<domain>.<topic>; values services publish there are taken in, checked like a client's,
 * in the subject's domain only, and recorded once; bad messages are dropped without harm.
 */
describeWithNats("tag values on NATS (mh.tag.<domain>.<topic>)", () => {
  let nats: NatsTestServer
  let server: TestServer
  let admin: Api
  let acme: Api
  let beta: Api
  let bus: NatsConnection
  const seen: Array<Seen> = []
  const clients: Array<MqttClient> = []

  const onSubject = (subject: string) => seen.filter((m) => m.subject === subject)
  /** Publishes as a service would: no origin header. */
  const publish = async (subject: string, body: unknown) => {
    bus.publish(subject, typeof body === "string" || body instanceof Uint8Array ? body : encoder.encode(JSON.stringify(body)))
    await bus.flush()
  }
  const valueOf = async (api: Api, topic: string) => {
    const read = await api.json("GET", `/machhub/tag/value/${topic}`)
    return read.status === 200 ? read.body : undefined
  }
  /** A value written after the others and seen back: what was to arrive before it has. */
  let marks = 0
  const settle = async () => {
    const topic = `mark/${++marks}`
    expect((await acme.json("POST", `/machhub/tag/${topic}`, { value: marks })).status).toBe(200)
    await until(() => onSubject(`mh.tag.acme.mark.${marks}`).length === 1, "the mark on its subject")
    await publish(`mh.tag.acme.markin.${marks}`, { value: marks })
    await until(async () => (await valueOf(acme, `markin/${marks}`)) !== undefined, "the mark taken in")
  }

  beforeAll(async () => {
    nats = await startNatsServer()
    server = await startTestServer({ natsUrl: nats.url, mqttPort: 0 })
    admin = await adminApi(server.url)
    for (const domain of ["acme", "beta"]) expect([201, 409]).toContain((await admin.json("POST", "/api/domains", { name: domain })).status)
    acme = admin.inDomain("acme")
    beta = admin.inDomain("beta")
    bus = await connect({ servers: nats.url })
    bus.subscribe("mh.tag.>", {
      callback: (error, msg) => {
        if (error === null) seen.push({ subject: msg.subject, origin: msg.headers?.get("Mh-Origin-Node") || undefined, body: msg.string() })
      }
    })
    await bus.flush()
  })
  afterAll(async () => {
    for (const client of clients) client.end(true)
    await bus?.close()
    await server?.dispose()
    await nats?.dispose()
  })

  it("publishes a value written over HTTP on its subject, once, as { topic, value, timestamp }", async () => {
    expect((await acme.json("POST", "/machhub/tag/Plant1/LineA/Temperature", { value: 72.4, timestamp: "2026-06-01T00:00:00Z" })).status).toBe(200)
    await until(() => onSubject("mh.tag.acme.Plant1.LineA.Temperature").length > 0, "the value on NATS")
    await settle()
    const messages = onSubject("mh.tag.acme.Plant1.LineA.Temperature")
    expect(messages).toHaveLength(1)
    expect(JSON.parse(messages[0]!.body)).toEqual({ topic: "Plant1/LineA/Temperature", value: 72.4, timestamp: "2026-06-01T00:00:00.000Z" })
    // The header naming the node that published it: how the node (and others) know it is recorded.
    expect(messages[0]!.origin).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("publishes every value of a batch, JSON values as they are, on escaped subjects where a level needs it", async () => {
    const batch = [
      { topic: "line 1/Temp.C", value: { a: [1, "x"] }, timestamp: 1_780_000_000_000 },
      { topic: "ofen/ü", value: "text", timestamp: 1_780_000_000_001 },
      { topic: "a//b", value: null, timestamp: 1_780_000_000_002 }
    ]
    expect((await acme.json("POST", "/machhub/tag/batch", batch)).status).toBe(200)
    await settle()
    expect(onSubject("mh.tag.acme.line%201.Temp%2EC").map((m) => JSON.parse(m.body))).toEqual([
      { topic: "line 1/Temp.C", value: { a: [1, "x"] }, timestamp: "2026-05-28T20:26:40.000Z" }
    ])
    expect(onSubject("mh.tag.acme.ofen.%C3%BC").map((m) => JSON.parse(m.body).value)).toEqual(["text"])
    expect(onSubject("mh.tag.acme.a.%.b").map((m) => JSON.parse(m.body).value)).toEqual([null])
  })

  it("publishes a value published over MQTT, and hands a value taken from NATS to MQTT subscribers", async () => {
    const key = await acme.json("POST", "/api/api-key/generate", { name: "device", features: [{ name: "tags", action: "read-write", scope: "domain" }] })
    expect(key.status).toBe(200)
    const device = await connectMqtt(`ws://127.0.0.1:${server.port}/mqtt`, { protocolVersion: 5, username: "mch_developer_key", password: key.body.token }, clients)
    const received = collect(device)
    await device.subscribeAsync("svc/#", { qos: 1 })
    await device.publishAsync("dev/speed", "12.5", { qos: 1 })
    await until(() => onSubject("mh.tag.acme.dev.speed").length === 1, "the MQTT value on NATS")
    expect(JSON.parse(onSubject("mh.tag.acme.dev.speed")[0]!.body)).toMatchObject({ topic: "dev/speed", value: 12.5 })
    await publish("mh.tag.acme.svc.setpoint", { value: 40 })
    await until(() => received.some((m) => m.topic === "svc/setpoint"), "the NATS value over MQTT")
    expect(received.find((m) => m.topic === "svc/setpoint")!.payload).toBe("40")
    // Handed to MQTT, not back to NATS: the service's message is the only one.
    await settle()
    expect(onSubject("mh.tag.acme.svc.setpoint").map((m) => m.origin)).toEqual([undefined])
    expect(onSubject("mh.tag.acme.dev.speed")).toHaveLength(1)
  })

  it("takes in a value a service publishes: last value, tag defined, historian; recorded once and not published again", async () => {
    const at = "2026-06-01T00:00:00.000Z"
    await publish("mh.tag.acme.svc.pressure", { topic: "svc/pressure", value: 3.5, timestamp: at })
    await until(async () => (await valueOf(acme, "svc/pressure")) !== undefined, "the value taken in")
    expect(await valueOf(acme, "svc/pressure")).toEqual({ topic: "svc/pressure", value: 3.5, timestamp: at })
    // Defined on its first value (autocreate), like a value over HTTP.
    expect((await acme.json("GET", "/machhub/tag/list")).body).toContain("svc/pressure")

    expect((await acme.json("PUT", "/api/tags/svc/flow", { access: "RW", historize: { type: "event" } })).status).toBeLessThan(300)
    const t0 = Date.parse(at)
    for (const [i, value] of [1, 2, 2, 3].entries()) await publish("mh.tag.acme.svc.flow", { value, timestamp: t0 + i * 1000 })
    // Milliseconds as a string, and no timestamp at all (stamped when it arrives).
    await publish("mh.tag.acme.svc.flow", { value: 4, timestamp: String(t0 + 4000) })
    await settle()
    const history = await acme.json("PATCH", "/machhub/historian", { topic: "svc/flow", start_time: at, range: "1m" })
    expect(history.body).toEqual([
      { timestamp: "2026-06-01T00:00:00.000Z", value: 1 },
      { timestamp: "2026-06-01T00:00:01.000Z", value: 2 },
      { timestamp: "2026-06-01T00:00:03.000Z", value: 3 },
      { timestamp: "2026-06-01T00:00:04.000Z", value: 4 }
    ])
    // Only the service's own messages are on the subject: the server did not publish them again.
    expect(onSubject("mh.tag.acme.svc.flow").map((m) => m.origin)).toEqual([undefined, undefined, undefined, undefined, undefined])
    expect(onSubject("mh.tag.acme.svc.pressure")).toHaveLength(1)
  })

  it("keeps domains apart: a value on mh.tag.acme never lands in beta, and an unknown domain takes nothing", async () => {
    await publish("mh.tag.acme.iso.x", { value: "acme's" })
    await publish("mh.tag.beta.iso.x", { value: "beta's" })
    await publish("mh.tag.nosuchdomain.iso.x", { value: "nobody's" })
    await settle()
    expect((await valueOf(acme, "iso/x")).value).toBe("acme's")
    await until(async () => (await valueOf(beta, "iso/x")) !== undefined, "beta's value")
    expect((await valueOf(beta, "iso/x")).value).toBe("beta's")
    expect((await admin.json("GET", "/api/domains")).body.map?.((d: { name: string }) => d.name) ?? []).not.toContain("nosuchdomain")
    // A value written over HTTP in beta is on beta's subject only.
    expect((await beta.json("POST", "/machhub/tag/iso/y", { value: 1 })).status).toBe(200)
    await until(() => onSubject("mh.tag.beta.iso.y").length === 1, "beta's subject")
    expect(onSubject("mh.tag.acme.iso.y")).toEqual([])
  })

  it("refuses a service's value for a read-only tag", async () => {
    expect((await acme.json("PUT", "/api/tags/fixed/setpoint", { access: "R" })).status).toBeLessThan(300)
    await publish("mh.tag.acme.fixed.setpoint", { value: 99 })
    await settle()
    expect(await valueOf(acme, "fixed/setpoint")).toBeUndefined()
  })

  it("logs and drops bad messages, and goes on taking good ones", async () => {
    const bad: Array<[string, string | Uint8Array]> = [
      ["mh.tag.acme.bad.json", "not json {"],
      ["mh.tag.acme.bad.array", "[1,2]"],
      ["mh.tag.acme.bad.scalar", "42"],
      ["mh.tag.acme.bad.novalue", JSON.stringify({ timestamp: 1 })],
      ["mh.tag.acme.bad.time", JSON.stringify({ value: 1, timestamp: "yesterday" })],
      ["mh.tag.acme.bad.othertopic", JSON.stringify({ topic: "bad/elsewhere", value: 1 })],
      ["mh.tag.acme.bad.bytes", Uint8Array.from([0xff, 0xfe, 0x00, 0x81])],
      ["mh.tag.acme.bad.empty", ""],
      ["mh.tag.acme.bad%zz", JSON.stringify({ value: 1 })],
      ["mh.tag.acme.%24SYS.x", JSON.stringify({ value: 1 })],
      ["mh.tag.acme.%23", JSON.stringify({ value: 1 })],
      ["mh.tag.acme", JSON.stringify({ value: 1 })],
      ["mh.tag.NotADomain.x", JSON.stringify({ value: 1 })],
      [`mh.tag.acme.${"x".repeat(600)}`, JSON.stringify({ value: 1 })]
    ]
    for (const [subject, body] of bad) await publish(subject, body)
    // A value carrying another node's header is taken without being checked again, but must still parse.
    const h = headers()
    h.set("Mh-Origin-Node", "another-node")
    bus.publish("mh.tag.acme.bad.peer", "{", { headers: h })
    // Seeded random bytes on random valid subjects.
    let seed = 13
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 200; i++) bus.publish(`mh.tag.acme.fuzz.${i % 7}`, Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)))
    await bus.flush()
    await publish("mh.tag.acme.good.after", { value: "fine" })
    await settle()
    expect((await valueOf(acme, "good/after")).value).toBe("fine")
    for (const topic of ["bad/json", "bad/array", "bad/scalar", "bad/novalue", "bad/time", "bad/othertopic", "bad/elsewhere", "bad/bytes", "bad/empty", "bad/peer", "x"]) {
      expect(await valueOf(acme, topic), topic).toBeUndefined()
    }
    const list = (await acme.json("GET", "/machhub/tag/list")).body as Array<string>
    expect(list.filter((t) => t.startsWith("bad") || t.startsWith("fuzz"))).toEqual([])
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })
})

/**
 * Several nodes on one NATS, each with its own historian: a value written on one node is recorded
 * there, taken in by the others from NATS, and published once.
 */
describeWithNats("tag values between nodes on one NATS and JetStream (MACHHUB_STORE=jetstream)", () => {
  let nats: NatsTestServer
  const nodes: Array<TestServer> = []
  const bDir = tempDir()
  let bus: NatsConnection
  const seen: Array<Seen> = []

  beforeAll(async () => {
    nats = await startNatsServer()
    const shared = { natsUrl: nats.url, store: "jetstream" as const, jetstreamStream: `TAG_VALUES_TWO_NODES_${process.pid}`, mqttPort: 0 }
    nodes.push(await startTestServer(shared))
    // The second node accepts the first one's tokens: it needs the same keys/.
    cpSync(join(nodes[0]!.dataDir, "keys"), join(bDir.path, "keys"), { recursive: true })
    nodes.push(await startTestServer({ ...shared, dataDir: bDir.path }))
    bus = await connect({ servers: nats.url })
    bus.subscribe("mh.tag.>", {
      callback: (error, msg) => {
        if (error === null) seen.push({ subject: msg.subject, origin: msg.headers?.get("Mh-Origin-Node") || undefined, body: msg.string() })
      }
    })
    await bus.flush()
  }, 60_000)
  afterAll(async () => {
    await bus?.close()
    for (const node of nodes.reverse()) await node.dispose()
    bDir.cleanup()
    await nats?.dispose()
  })

  it("records a value written on either node on both, each published once by the node it was written on", async () => {
    const admin = await adminApi(nodes[0]!.url)
    expect((await admin.json("POST", "/api/domains", { name: "plant" })).status).toBe(201)
    const [a, b] = nodes.map((node) => api(node.url, admin.token, "plant"))
    await until(async () => (await a!.json("PUT", "/api/tags/shared/level", { access: "RW", historize: { type: "event" } })).status < 300, "the tag defined")
    // Node B reads the definition from the shared log.
    await until(async () => ((await b!.json("GET", "/machhub/historian/list")).body as Array<string>).includes?.("shared/level") === true, "the definition on B")
    const t0 = Date.parse("2026-06-01T00:00:00Z")
    expect((await a!.json("POST", "/machhub/tag/shared/level", { value: 1, timestamp: t0 })).status).toBe(200)
    await until(async () => (await b!.json("GET", "/machhub/tag/value/shared/level")).body?.value === 1, "node B taking node A's value")
    expect((await b!.json("POST", "/machhub/tag/shared/level", { value: 2, timestamp: t0 + 1000 })).status).toBe(200)
    await until(async () => (await a!.json("GET", "/machhub/tag/value/shared/level")).body?.value === 2, "node A taking node B's value")
    // A service's value reaches both; one without timestamp gets the same time on every node.
    bus.publish("mh.tag.plant.shared.level", encoder.encode(JSON.stringify({ value: 3, timestamp: t0 + 2000 })))
    bus.publish("mh.tag.plant.shared.untimed", encoder.encode(JSON.stringify({ value: "now" })))
    await bus.flush()
    for (const node of [a!, b!]) await until(async () => (await node.json("GET", "/machhub/tag/value/shared/level")).body?.value === 3, "the service's value on every node")
    const points = [1, 2, 3].map((value, i) => ({ timestamp: new Date(t0 + i * 1000).toISOString(), value }))
    for (const node of [a!, b!]) {
      expect((await node.json("PATCH", "/machhub/historian", { topic: "shared/level", start_time: "2026-06-01T00:00:00Z", range: "1m" })).body).toEqual(points)
    }
    // Three messages: A's (A's header), B's (B's header), the service's; nothing echoed.
    const messages = seen.filter((m) => m.subject === "mh.tag.plant.shared.level")
    expect(messages.map((m) => JSON.parse(m.body).value)).toEqual([1, 2, 3])
    expect(new Set(messages.slice(0, 2).map((m) => m.origin)).size).toBe(2)
    expect(messages[2]!.origin).toBeUndefined()
    // Each node defines the new tag from the service's value before taking it: wait for both.
    for (const node of [a!, b!]) await until(async () => (await node.json("GET", "/machhub/tag/value/shared/untimed")).status === 200, "the untimed value on every node")
    untimed = (await a!.json("GET", "/machhub/tag/value/shared/untimed")).body
    expect((await b!.json("GET", "/machhub/tag/value/shared/untimed")).body).toEqual(untimed)
    expected = [1, 2, 3].map((value, i) => ({ timestamp: new Date(t0 + i * 1000).toISOString(), value }))
  })

  let untimed: unknown
  let expected: Array<{ timestamp: string; value: number }> = []

  it("keeps the values in a stream of their own, with a max age (MACHHUB_TAG_STREAM_MAX_AGE_SECONDS)", async () => {
    const info = await (await jetstreamManager(bus)).streams.info("MH_TAG_VALUES")
    expect(info.config.subjects).toEqual(["mh.tag.>"])
    expect(info.config.max_age).toBe(7 * 24 * 3600 * 1e9)
    expect(info.state.messages).toBeGreaterThanOrEqual(4)
  })

  it("builds a new node's last values and historian from the stream, with the same times", async () => {
    const cDir = tempDir()
    cpSync(join(nodes[0]!.dataDir, "keys"), join(cDir.path, "keys"), { recursive: true })
    const c = await startTestServer({ natsUrl: nats.url, store: "jetstream", jetstreamStream: `TAG_VALUES_TWO_NODES_${process.pid}`, mqttPort: 0, dataDir: cDir.path })
    try {
      const onC = api(c.url, (await adminApi(c.url)).token, "plant")
      await until(async () => (await onC.json("GET", "/machhub/tag/value/shared/level")).body?.value === 3, "the new node's last value")
      expect((await onC.json("GET", "/machhub/tag/value/shared/untimed")).body).toEqual(untimed)
      expect((await onC.json("PATCH", "/machhub/historian", { topic: "shared/level", start_time: "2026-06-01T00:00:00Z", range: "1m" })).body).toEqual(expected)
    } finally {
      await c.stop()
      cDir.cleanup()
    }
  })

  it("catches a restarted node up with the values published while it was down, once", async () => {
    const token = (await adminApi(nodes[0]!.url)).token
    const a = api(nodes[0]!.url, token, "plant")
    await nodes[1]!.stop()
    expect(readFileSync(join(bDir.path, "tag-values.position"), "utf8")).toMatch(/^\d+\n$/)
    const t = Date.parse(expected[expected.length - 1]!.timestamp) + 1000
    expect((await a.json("POST", "/machhub/tag/shared/level", { value: 4, timestamp: t })).status).toBe(200)
    bus.publish("mh.tag.plant.shared.level", encoder.encode(JSON.stringify({ value: 5, timestamp: t + 1000 })))
    await bus.flush()
    nodes[1] = await startTestServer({ natsUrl: nats.url, store: "jetstream", jetstreamStream: `TAG_VALUES_TWO_NODES_${process.pid}`, mqttPort: 0, dataDir: bDir.path })
    const b = api(nodes[1]!.url, token, "plant")
    await until(async () => (await b.json("GET", "/machhub/tag/value/shared/level")).body?.value === 5, "node B catching up")
    const all = [...expected, { timestamp: new Date(t).toISOString(), value: 4 }, { timestamp: new Date(t + 1000).toISOString(), value: 5 }]
    for (const node of [a, b]) {
      expect((await node.json("PATCH", "/machhub/historian", { topic: "shared/level", start_time: "2026-06-01T00:00:00Z", range: "1m" })).body).toEqual(all)
    }
    // Nothing was published again by the restarted node.
    expect(seen.filter((m) => m.subject === "mh.tag.plant.shared.level").map((m) => JSON.parse(m.body).value)).toEqual([1, 2, 3, 4, 5])
  })
})
