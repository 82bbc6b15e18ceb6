// MQTT figures for `npm run bench`, each beside a bare Mosquitto measured in the same run:
// - ingest: 1 publisher, QoS 0, JSON numbers over 100 historized (event) tags, sustained for
//   BENCH_MQTT_SECONDS (30 by default): values/s from the first publish until the last value is
//   recorded and queryable, against the same publisher straight to a bare Mosquitto (until the
//   broker answers a PINGREQ sent after the last publish: it has handled every publish before it);
// - fan-out: 100 subscribers over WebSocket to one topic, one publisher over TCP, one message at a
//   time: delivery latency p50/p99 through the server's /mqtt vs Mosquitto's own WebSocket listener.
//
//   import { benchMqtt } from "./mqtt.mjs"
//   await benchMqtt({ row, serverPid? })
//
// Run alone (the built server, Debian's mosquitto): node test/bench/mqtt.mjs
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { connect as connectTcp, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { cpuSeconds, startBenchServer } from "./benchServer.mjs"
import { call } from "./call.mjs"

const require = createRequire(import.meta.url)
const mqttPacket = require("mqtt-packet")
const mqtt = require("mqtt")

const MOSQUITTO = process.env.MACHHUB_MOSQUITTO_BIN ?? "/usr/sbin/mosquitto"
const TOPICS = 100
const SUBSCRIBERS = 100
const FANOUT_MESSAGES = Number(process.env.BENCH_FANOUT_MESSAGES ?? 300)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** A bare Mosquitto as the baseline: anonymous, no persistence, a TCP and a WebSocket listener on loopback. */
const startBareMosquitto = async () => {
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-mosquitto-"))
  const tcp = await freePort()
  const ws = await freePort()
  const config = join(dir, "mosquitto.conf")
  writeFileSync(config, [
    `listener ${tcp} 127.0.0.1`,
    `listener ${ws} 127.0.0.1`,
    "protocol websockets",
    "allow_anonymous true",
    "persistence false",
    "set_tcp_nodelay true",
    "max_connections -1",
    "log_dest stderr",
    "log_type error",
    ""
  ].join("\n"))
  const child = spawn(MOSQUITTO, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (chunk) => (stderr += chunk))
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const socket = connectTcp({ host: "127.0.0.1", port: tcp })
      socket.once("connect", () => (socket.destroy(), resolve(true)))
      socket.once("error", () => resolve(false))
    })
    if (up) break
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`)
    await sleep(25)
  }
  return {
    tcp,
    ws,
    stop: async () => {
      child.kill("SIGTERM")
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * The publisher: one raw MQTT 3.1.1 connection writing pre-encoded QoS 0 PUBLISH packets as fast as
 * TCP takes them (write() false: wait for drain), so the figure is the receiver's, not a client
 * library's. `payload(sequence)` is the JSON number sent; topics go round the 100.
 */
const rawPublisher = async ({ port, username, password }) => {
  const socket = connectTcp({ host: "127.0.0.1", port })
  socket.setNoDelay(true)
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const waiting = []
  parser.on("packet", (packet) => waiting.shift()?.(packet))
  socket.on("data", (chunk) => parser.parse(chunk))
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  const connack = new Promise((resolve) => waiting.push(resolve))
  socket.write(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: `bench-${process.pid}-${Date.now()}`, clean: true, keepalive: 0, ...(username === undefined ? {} : { username, password: Buffer.from(password) }) }))
  const answer = await connack
  if (answer.returnCode !== 0) throw new Error(`CONNECT refused: ${answer.returnCode}`)
  const topicBytes = Array.from({ length: TOPICS }, (_, t) => Buffer.from(`bench/mqtt/${t}`))
  const encode = (sequence) => {
    const topic = topicBytes[sequence % TOPICS]
    const payload = Buffer.from(String(sequence))
    const remaining = 2 + topic.length + payload.length
    const packet = Buffer.allocUnsafe(2 + remaining)
    packet[0] = 0x30
    packet[1] = remaining
    packet.writeUInt16BE(topic.length, 2)
    topic.copy(packet, 4)
    payload.copy(packet, 4 + topic.length)
    return packet
  }
  return {
    /** Publishes from sequence 0 for `seconds`; resolves with how many. */
    run: async (seconds) => {
      const deadline = performance.now() + seconds * 1000
      let sequence = 0
      while (performance.now() < deadline) {
        // 1,000 packets a write.
        const chunk = []
        for (let i = 0; i < 1_000; i++) chunk.push(encode(sequence++))
        if (!socket.write(Buffer.concat(chunk))) await new Promise((resolve) => socket.once("drain", resolve))
      }
      return sequence
    },
    /** Resolves once the broker answered a PINGREQ: it has handled everything sent before it. */
    ping: async () => {
      const pong = new Promise((resolve) => waiting.push(resolve))
      socket.write(mqttPacket.generate({ cmd: "pingreq" }))
      await pong
    },
    close: () => socket.end(mqttPacket.generate({ cmd: "disconnect" }))
  }
}


const benchIngest = async ({ server, bare, seconds }) => {
  // Baseline: the same publisher straight to the bare broker.
  const direct = await rawPublisher({ port: bare.tcp })
  let started = performance.now()
  const directCount = await direct.run(seconds)
  await direct.ping()
  const directRate = directCount / ((performance.now() - started) / 1000)
  direct.close()

  const { url, token } = server
  for (let t = 0; t < TOPICS; t++) await call(url, token, "PUT", `/api/tags/bench/mqtt/${t}`, { access: "RW", historize: { type: "event", retention: "1d" } })
  const publisher = await rawPublisher({ port: server.mqttPort, username: "bench", password: token })
  const cpuBefore = cpuSeconds(server.pid)
  started = performance.now()
  const count = await publisher.run(seconds)
  const lastTopic = `bench/mqtt/${(count - 1) % TOPICS}`
  // Recorded: the last value is the tag's value; queryable: the historian answers it.
  for (;;) {
    const response = await fetch(`${url}/machhub/tag/value/${lastTopic}`, { headers: { authorization: `Bearer ${token}` } })
    if (response.status === 200 && (await response.json()).value === count - 1) break
    await sleep(1)
  }
  const last = await call(url, token, "PATCH", "/machhub/historian/last", { topic: lastTopic, limit: 1 })
  const elapsed = (performance.now() - started) / 1000
  const cpu = cpuSeconds(server.pid) - cpuBefore
  if (last[0]?.value !== count - 1) throw new Error(`the last value published is not in the historian: ${JSON.stringify(last)}`)
  publisher.close()
  return { rate: count / elapsed, directRate, count, cpuMicrosPerValue: (cpu * 1e6) / count }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

/** 100 WebSocket subscribers on `wsUrl`, one TCP publisher; each message's send time is its payload. */
const fanOut = async ({ wsUrl, tcpUrl, options }) => {
  const clients = []
  const latencies = []
  let received = 0
  try {
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = mqtt.connect(wsUrl, { ...options, reconnectPeriod: 0, clientId: `bench-sub-${process.pid}-${i}` })
      clients.push(client)
      await new Promise((resolve, reject) => {
        client.once("connect", resolve)
        client.once("error", reject)
      })
      client.on("message", (_topic, payload) => {
        latencies.push(performance.now() - Number(payload.toString()))
        received++
      })
      await client.subscribeAsync("bench/fanout", { qos: 0 })
    }
    const publisher = mqtt.connect(tcpUrl, { ...options, reconnectPeriod: 0, clientId: `bench-pub-${process.pid}` })
    clients.push(publisher)
    await new Promise((resolve, reject) => {
      publisher.once("connect", resolve)
      publisher.once("error", reject)
    })
    // Warm-up, then one message at a time, each once every subscriber has the previous one.
    for (let m = 0; m < FANOUT_MESSAGES + 20; m++) {
      if (m === 20) latencies.length = 0
      const expected = received + SUBSCRIBERS
      publisher.publish("bench/fanout", String(performance.now()), { qos: 0 })
      const deadline = performance.now() + 5_000
      while (received < expected && performance.now() < deadline) await new Promise((r) => setImmediate(r))
      if (received < expected) throw new Error(`fan-out: ${expected - received} subscribers did not get message ${m} within 5 s`)
    }
    const sorted = [...latencies].sort((a, b) => a - b)
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length }
  } finally {
    for (const client of clients) client.end(true)
  }
}

export const benchMqtt = async ({ row, seconds = Number(process.env.BENCH_MQTT_SECONDS ?? 30) }) => {
  let server
  let bare
  try {
    bare = await startBareMosquitto()
    server = await startBenchServer()
    if (server.mqttPort === undefined) throw new Error("the server runs without MQTT (is mosquitto installed?)")
    console.error(`MQTT: ingest, 1 publisher QoS 0, ${seconds} s each, bare Mosquitto then the server; fan-out to ${SUBSCRIBERS} WebSocket subscribers, ${FANOUT_MESSAGES} messages`)
    const ingest = await benchIngest({ server, bare, seconds })
    row("MQTT publish straight to bare Mosquitto (ingest baseline)", ingest.directRate, "values/s", 1, "1 publisher QoS 0, until a PINGREQ after the last is answered")
    row("MQTT ingest through the edge, published to historized and queryable", ingest.rate, "values/s", ingest.rate / ingest.directRate,
      `1 publisher QoS 0, 100 event tags, ${ingest.count.toLocaleString("en")} values in ${seconds} s; server CPU ${ingest.cpuMicrosPerValue.toFixed(1)} µs/value; target >= 40,000 and ratio >= 50%`)

    const direct = await fanOut({ wsUrl: `ws://127.0.0.1:${bare.ws}`, tcpUrl: `mqtt://127.0.0.1:${bare.tcp}`, options: { protocolVersion: 5 } })
    const edge = await fanOut({
      wsUrl: `ws://127.0.0.1:${server.port}/mqtt`,
      tcpUrl: `mqtt://127.0.0.1:${server.mqttPort}`,
      options: { protocolVersion: 5, username: "bench", password: server.token }
    })
    row("fan-out p50 to 100 WebSocket subscribers, bare Mosquitto (baseline)", direct.p50 * 1000, "µs", undefined, `p99 ${Math.round(direct.p99 * 1000)} µs; ${direct.samples.toLocaleString("en")} deliveries`)
    row("fan-out p50 to 100 WebSocket subscribers through /mqtt", edge.p50 * 1000, "µs", direct.p50 / edge.p50,
      `p99 ${Math.round(edge.p99 * 1000)} µs (bare: ${Math.round(direct.p99 * 1000)} µs); ratio = bare p50 / edge p50`)
  } finally {
    await server?.stop()
    await bare?.stop()
  }
}

// Run alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = []
  const row = (name, value, unit, ratio, note = "") => {
    rows.push(`| ${name} | ${Math.round(value).toLocaleString("en")} ${unit} | ${ratio === undefined ? "" : `${(ratio * 100).toFixed(1)}%`} | ${note} |`)
    console.error(`  measured ${name}: ${Math.round(value).toLocaleString("en")} ${unit}`)
  }
  await benchMqtt({ row })
  console.log(["", "| measurement | value | ratio | notes |", "|---|---:|---:|---|", ...rows, ""].join("\n"))
}
