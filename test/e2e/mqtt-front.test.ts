import { connect as connectTcp, type Socket } from "node:net"
import mqttPacket from "mqtt-packet"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeMqttFront, startMosquitto, type ClientAccess, type MosquittoBroker, type MqttFront } from "@machhub/adapters"
import { collect, connectMqtt, subscribeCodes, until, type MqttClient } from "../support/mqtt.js"
import { tempDir } from "../support/temp.js"

/**
 * The MQTT edge in front of a real Mosquitto, with a fixed table of credentials: each password is a
 * namespace, a reader can only subscribe, "ro/..." topics refuse writes. The server's own decisions
 * (keys, tokens, permissions) are tested in mqtt.test.ts; this file is about what the edge does to
 * packets whatever decides access.
 */
const accessFor = (password: string): ClientAccess | undefined => {
  const [namespace, role] = password.split(":")
  if (namespace === undefined || !/^[a-z]+$/.test(namespace)) return undefined
  return {
    namespace,
    identity: role ?? "writer",
    mayPublish: (topic) =>
      /[+#]/.test(topic) || topic === ""
        ? { ok: false, reason: "topic-invalid", message: "not a topic name" }
        : role === "reader" || topic.startsWith("ro/")
        ? { ok: false, reason: "not-authorized", message: "read only" }
        : { ok: true },
    maySubscribe: (filter) => {
      if (filter === "") return { ok: false, reason: "topic-invalid", message: "empty" }
      if (filter.startsWith("$share/")) {
        const [, shareName, ...rest] = filter.split("/")
        return { ok: true, shareName: shareName!, filter: rest.join("/") }
      }
      return filter.startsWith("secret/") ? { ok: false, reason: "not-authorized", message: "no" } : { ok: true, filter }
    }
  }
}

const quiet = () => {}

describe("the MQTT edge in front of Mosquitto", () => {
  const dir = tempDir()
  let broker: MosquittoBroker
  let front: MqttFront
  let url: string
  const clients: Array<MqttClient> = []

  const connect = (password: string | undefined, options: Parameters<typeof connectMqtt>[1] = {}) =>
    connectMqtt(url, { protocolVersion: 5, username: "u", password, ...options }, clients)

  beforeAll(async () => {
    broker = await startMosquitto({ dataDir: dir.path, log: quiet })
    front = makeMqttFront({
      broker: broker.endpoint,
      log: quiet,
      authenticate: ({ password }) => {
        if (password === undefined) return { ok: false, reason: "not-authorized", message: "no credential" }
        const access = accessFor(password.toString())
        return access === undefined ? { ok: false, reason: "bad-credentials", message: "unknown" } : { ok: true, access }
      }
    })
    const port = await front.listenTcp("127.0.0.1", 0)
    url = `mqtt://127.0.0.1:${port}`
  })
  afterAll(async () => {
    for (const client of clients) client.end(true)
    await front.close()
    await broker.stop()
    dir.cleanup()
  })

  it("refuses CONNECT without or with bad credentials, with the reason code of each version", async () => {
    await expect(connect(undefined)).rejects.toMatchObject({ code: 0x87 })
    await expect(connect("NOPE")).rejects.toMatchObject({ code: 0x86 })
    await expect(connect(undefined, { protocolVersion: 4 })).rejects.toMatchObject({ code: 5 })
    await expect(connect("NOPE", { protocolVersion: 4 })).rejects.toMatchObject({ code: 4 })
  })

  it("relays QoS 0, 1 and 2 with the topics the clients use", async () => {
    const reader = await connect("alpha")
    const messages = collect(reader)
    await reader.subscribeAsync("line/+/temp", { qos: 2 })
    const writer = await connect("alpha", { protocolVersion: 4 })
    await writer.publishAsync("line/1/temp", "0", { qos: 0 })
    await writer.publishAsync("line/2/temp", "1", { qos: 1 })
    await writer.publishAsync("line/3/temp", "2", { qos: 2 })
    await until(() => messages.length === 3, "three messages")
    expect(messages.map((m) => [m.topic, m.payload, m.qos]).sort()).toEqual([["line/1/temp", "0", 0], ["line/2/temp", "1", 1], ["line/3/temp", "2", 2]])
  })

  it("keeps namespaces apart whatever the spelling: wildcards, $share, response topics", async () => {
    const beta = await connect("beta")
    const betaMessages = collect(beta)
    await beta.subscribeAsync(["#", "$share/g/#", "uns/#", "+/+/#"], { qos: 1 })
    const alpha = await connect("alpha")
    const alphaMessages = collect(alpha)
    await alpha.subscribeAsync("#", { qos: 1 })
    for (const topic of ["x", "uns/beta/x", "../beta/x", "/uns/beta/x"]) await alpha.publishAsync(topic, "from alpha", { qos: 1 })
    await beta.publishAsync("beta-only", "from beta", { qos: 1 })
    await until(() => alphaMessages.length >= 4 && betaMessages.some((m) => m.topic === "beta-only"), "the published values")
    // beta's own value only, once per matching subscription, never anything of alpha.
    expect(betaMessages.every((m) => m.payload === "from beta" && m.topic === "beta-only")).toBe(true)
    expect(alphaMessages.map((m) => m.topic).sort()).toEqual(["../beta/x", "/uns/beta/x", "uns/beta/x", "x"])
    expect(alphaMessages.every((m) => m.payload === "from alpha")).toBe(true)
  })

  it("resolves MQTT 5 topic aliases at the edge, within the client's namespace", async () => {
    const beta = await connect("beta")
    const betaMessages = collect(beta)
    await beta.subscribeAsync("#", { qos: 1 })
    const alpha = await connect("alpha")
    const alphaMessages = collect(alpha)
    await alpha.subscribeAsync("aliased/#", { qos: 1 })
    const sender = await connect("alpha")
    await sender.publishAsync("aliased/one", "first", { qos: 1, properties: { topicAlias: 3 } })
    await sender.publishAsync("", "second", { qos: 1, properties: { topicAlias: 3 } })
    await until(() => alphaMessages.length === 2, "two aliased messages")
    expect(alphaMessages.map((m) => [m.topic, m.payload])).toEqual([["aliased/one", "first"], ["aliased/one", "second"]])
    expect(betaMessages).toEqual([])
  })

  it("answers refused subscriptions and publishes with reason codes", async () => {
    const client = await connect("alpha")
    expect(await subscribeCodes(client, ["ok/#", "secret/x", "$share/g/secret/y"])).toEqual([1, 0x87, 1])
    const reader = await connect("alpha:reader")
    await expect(reader.publishAsync("a", "x", { qos: 1 })).rejects.toMatchObject({ code: 0x87 })
    await expect(reader.publishAsync("a", "x", { qos: 2 })).rejects.toMatchObject({ code: 0x87 })
    await expect(client.publishAsync("ro/a", "x", { qos: 1 })).rejects.toMatchObject({ code: 0x87 })
    const v3 = await connect("alpha", { protocolVersion: 4 })
    expect(await subscribeCodes(v3, ["ok/#", "secret/x"])).toEqual([1, 0x80])
    // 3.1.1 has no reason code for a refused publish: it is acknowledged and not passed on.
    const messages = collect(client)
    await client.subscribeAsync("ro/#", { qos: 1 })
    await v3.publishAsync("ro/b", "dropped", { qos: 2 })
    await client.publishAsync("ok/marker", "after", { qos: 1 })
    await until(() => messages.length >= 1, "the marker")
    expect(messages.map((m) => m.payload)).toEqual(["after"])
  })

  it("keeps retained values per namespace", async () => {
    const writer = await connect("alpha")
    await writer.publishAsync("kept", "alpha value", { qos: 1, retain: true })
    const other = await connect("beta")
    const otherMessages = collect(other)
    await other.subscribeAsync("kept", { qos: 1 })
    const same = await connect("alpha", { protocolVersion: 4 })
    const sameMessages = collect(same)
    await same.subscribeAsync("kept", { qos: 1 })
    await until(() => sameMessages.length === 1, "the retained value")
    expect(sameMessages[0]).toMatchObject({ topic: "kept", payload: "alpha value", retain: true })
    expect(otherMessages).toEqual([])
  })

  it("delivers a will message in the client's namespace only", async () => {
    const watcher = await connect("alpha")
    const messages = collect(watcher)
    await watcher.subscribeAsync("status/#", { qos: 1 })
    const betaWatcher = await connect("beta")
    const betaMessages = collect(betaWatcher)
    await betaWatcher.subscribeAsync("#", { qos: 1 })
    const dying = await connect("alpha", { will: { topic: "status/dying", payload: Buffer.from("gone"), qos: 1, retain: false } })
    // Ends the connection without DISCONNECT, as a crash would.
    dying.stream.destroy()
    await until(() => messages.length === 1, "the will")
    expect(messages[0]).toMatchObject({ topic: "status/dying", payload: "gone" })
    expect(betaMessages).toEqual([])
    await expect(connect("alpha:reader", { will: { topic: "status/x", payload: Buffer.from("x"), qos: 0, retain: false } })).rejects.toMatchObject({ code: 0x87 })
  })

  /** A raw TCP connection: what it received, and whether the edge closed it. */
  const raw = async () => {
    const socket: Socket = connectTcp(Number(new URL(url).port), "127.0.0.1")
    await new Promise((resolve) => socket.once("connect", resolve))
    let received = Buffer.alloc(0)
    let closed = false
    socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])))
    socket.on("error", () => {})
    socket.on("close", () => (closed = true))
    return { socket, received: () => received, closed: () => closed }
  }

  it("closes connections that send garbage or too large a packet, and answers an unknown protocol level", async () => {
    const garbage = await raw()
    garbage.socket.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"))
    await until(garbage.closed, "the garbage connection to close")

    const future = await raw()
    // CONNECT with protocol level 6: 3.1.1's "unacceptable protocol version" (MQTT 5 §3.1.2.2).
    future.socket.write(Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x61]))
    await until(future.closed, "the connection with an unknown protocol level to close")
    expect([...future.received()]).toEqual([0x20, 0x02, 0x00, 0x01])

    const big = await raw()
    big.socket.write(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "big", clean: true, keepalive: 60, username: "u", password: Buffer.from("alpha") }, { protocolVersion: 5 }))
    await until(() => big.received().length > 0, "the CONNACK")
    // A PUBLISH announcing 2 MiB (remaining length 0x80 0x80 0x80 0x01), only its start sent.
    big.socket.write(Buffer.concat([Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01, 0x00, 0x01, 0x61]), Buffer.alloc(1024)]))
    await until(big.closed, "the connection with a huge packet to close")
    const packets: Array<mqttPacket.Packet> = []
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    parser.on("packet", (packet) => packets.push(packet))
    parser.parse(big.received())
    expect(packets.map((p) => p.cmd)).toEqual(["connack", "disconnect"])
    expect(packets[1]).toMatchObject({ reasonCode: 0x95 })

    // The edge still serves everyone else.
    const client = await connect("alpha")
    await client.publishAsync("still/here", "1", { qos: 1 })
  })

  it("reads packets however the client's bytes are cut: one byte at a time, many packets at once, a large one in pieces", async () => {
    for (const version of [4, 5] as const) {
      const reader = await connect("alpha")
      const messages = collect(reader)
      await reader.subscribeAsync(`cut${version}/#`, { qos: 1 })
      const writer = await raw()
      const generate = (packet: mqttPacket.Packet) => mqttPacket.generate(packet, { protocolVersion: version })
      writer.socket.write(generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: version, clientId: `cut${version}`, clean: true, keepalive: 60, username: "u", password: Buffer.from("alpha") }))
      await until(() => writer.received().length > 0, "the CONNACK")
      const large = "x".repeat(300_000)
      const packets = [
        generate({ cmd: "publish", topic: `cut${version}/a`, payload: Buffer.from("1"), qos: 0, retain: false, dup: false }),
        generate({ cmd: "publish", topic: `cut${version}/b`, payload: Buffer.from("2"), qos: 1, messageId: 7, retain: false, dup: false }),
        // MQTT 5 properties take the long way; the packets around them do not.
        ...(version === 5 ? [generate({ cmd: "publish", topic: `cut${version}/c`, payload: Buffer.from("3"), qos: 0, retain: false, dup: false, properties: { contentType: "text/plain" } })] : []),
        generate({ cmd: "publish", topic: `cut${version}/d`, payload: Buffer.from(large), qos: 0, retain: false, dup: false }),
        generate({ cmd: "publish", topic: `cut${version}/e`, payload: Buffer.from(""), qos: 1, messageId: 8, retain: false, dup: false })
      ]
      const bytes = Buffer.concat(packets)
      // The first packets one byte per write, the rest in uneven pieces (the large one across many).
      const cut = packets[0]!.length + packets[1]!.length
      for (let i = 0; i < cut; i++) {
        writer.socket.write(bytes.subarray(i, i + 1))
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      for (let at = cut, size = 3; at < bytes.length; at += size, size = size * 7 % 65_521) writer.socket.write(bytes.subarray(at, at + size))
      await until(() => messages.length === packets.length, "every value")
      expect(messages.map((m) => [m.topic, m.payload.length > 10 ? m.payload.length : m.payload])).toEqual([
        [`cut${version}/a`, "1"],
        [`cut${version}/b`, "2"],
        ...(version === 5 ? [[`cut${version}/c`, "3"]] : []),
        [`cut${version}/d`, large.length],
        [`cut${version}/e`, ""]
      ])
      // The QoS 1 flows went on: PUBACK 7 and 8 came back.
      const answers: Array<mqttPacket.Packet> = []
      const parser = mqttPacket.parser({ protocolVersion: version })
      parser.on("packet", (packet) => answers.push(packet))
      await until(() => writer.received().length >= 4 + 4 + 4, "the acknowledgements")
      parser.parse(writer.received())
      expect(answers.map((p) => [p.cmd, (p as { messageId?: number }).messageId])).toEqual([["connack", undefined], ["puback", 7], ["puback", 8]])
      writer.socket.destroy()
    }
  })

  it("survives random bytes, with or without a valid CONNECT first, and keeps serving", async () => {
    // A fixed seed: the same bytes every run.
    let seed = 0x2f6b_1d3
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) >>> 8) & 0xff
    const connectBytes = mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "fuzz", clean: true, keepalive: 60, username: "u", password: Buffer.from("alpha") }, { protocolVersion: 5 })
    for (let round = 0; round < 60; round++) {
      const connection = await raw()
      const noise = Buffer.from(Array.from({ length: 1 + (random() % 200) }, random))
      // Half the rounds make the noise look like packets: a packet type byte and a small length.
      if (round % 2 === 0) noise[0] = (random() % 15 + 1) << 4
      if (round % 2 === 0 && noise.length > 1) noise[1] = Math.min(noise[1]! & 0x7f, noise.length - 2)
      connection.socket.write(round % 3 === 0 ? noise : Buffer.concat([connectBytes, noise]))
      await new Promise((resolve) => setTimeout(resolve, 5))
      connection.socket.destroy()
    }
    const client = await connect("alpha")
    const messages = collect(client)
    await client.subscribeAsync("after-fuzz", { qos: 1 })
    await client.publishAsync("after-fuzz", "ok", { qos: 1 })
    await until(() => messages.length === 1, "a value after the fuzzing")
  })

  it("ends the sessions a caller names", async () => {
    const doomed = await connect("gamma")
    const closed = new Promise<number | undefined>((resolve) => doomed.on("disconnect", (packet) => resolve(packet.reasonCode)))
    expect(front.disconnectWhere((access) => access.namespace === "gamma")).toBe(1)
    expect(await closed).toBe(0x87)
  })
})
