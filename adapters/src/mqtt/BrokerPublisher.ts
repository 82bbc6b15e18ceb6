import { randomUUID } from "node:crypto"
import type { Socket } from "node:net"
import mqttPacket, { type Packet } from "mqtt-packet"
import { brokerCredentials, connectBroker } from "./brokerConnection.js"
import type { BrokerEndpoint } from "./MosquittoBroker.js"

export interface BrokerPublisher {
  /** Publishes at QoS 0 to a broker topic (already under its namespace prefix). */
  publish(topic: string, payload: Buffer | string, retain: boolean): void
  close(): void
}

/** Publishes held while the connection is (re)made; past this many the oldest are dropped. */
const MAX_HELD = 10_000
const RECONNECT_DELAY_MS = 1_000

const remainingLengthBytes = (length: number): number => (length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4)

/**
 * The QoS 0 PUBLISH packets of one tick written straight into one buffer (MQTT 3.1.1: fixed header,
 * topic, payload; no packet id, no properties). An HTTP batch or a NATS burst is thousands of values:
 * one allocation and one socket write for all of them, instead of mqtt-packet's general encoder per
 * value.
 */
const encodePublishes = (topics: ReadonlyArray<string>, payloads: ReadonlyArray<Buffer | string>, retains: ReadonlyArray<boolean>): Buffer => {
  const topicBytes = new Array<number>(topics.length)
  const payloadBytes = new Array<number>(topics.length)
  let total = 0
  for (let i = 0; i < topics.length; i++) {
    const payload = payloads[i]!
    topicBytes[i] = Buffer.byteLength(topics[i]!)
    payloadBytes[i] = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length
    const remaining = 2 + topicBytes[i]! + payloadBytes[i]!
    total += 1 + remainingLengthBytes(remaining) + remaining
  }
  const bytes = Buffer.allocUnsafe(total)
  let at = 0
  for (let i = 0; i < topics.length; i++) {
    bytes[at++] = retains[i] ? 0x31 : 0x30
    let length = 2 + topicBytes[i]! + payloadBytes[i]!
    do {
      let digit = length % 0x80
      length = Math.floor(length / 0x80)
      if (length > 0) digit |= 0x80
      bytes[at++] = digit
    } while (length > 0)
    bytes.writeUInt16BE(topicBytes[i]!, at)
    at += 2
    at += bytes.write(topics[i]!, at, "utf8")
    const payload = payloads[i]!
    if (typeof payload === "string") at += bytes.write(payload, at, "utf8")
    else at += payload.copy(bytes, at)
  }
  return bytes
}

/**
 * The server's own connection to the broker (the private one, or MQTT_URL's), for values that came
 * in another way (HTTP, NATS) and must reach MQTT subscribers. One MQTT 3.1.1 connection with the
 * edge's credential, QoS 0 (the value pipeline has already recorded the value; the broker only fans
 * it out), made again if the broker restarts or cannot be reached.
 */
export const makeBrokerPublisher = (options: {
  readonly broker: () => BrokerEndpoint
  readonly log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void
}): BrokerPublisher => {
  let socket: Socket | undefined
  let ready = false
  let closed = false
  let held: Array<{ readonly bytes: Buffer; readonly count: number }> = []
  let heldCount = 0
  let dropped = 0
  // Whether the broker's failure was logged: an external broker down for an hour is one line, not 3,600.
  let failureLogged = false
  // Publishes of one tick (an HTTP batch of thousands of values) go out in one write.
  let topics: Array<string> = []
  let payloads: Array<Buffer | string> = []
  let retains: Array<boolean> = []
  let flushing = false
  const flush = () => {
    flushing = false
    if (topics.length === 0) return
    const count = topics.length
    const bytes = encodePublishes(topics, payloads, retains)
    topics = []
    payloads = []
    retains = []
    if (ready && socket !== undefined) {
      socket.write(bytes)
      return
    }
    // Held as the tick's buffers; when too many values wait, the oldest ticks' go first.
    held.push({ bytes, count })
    heldCount += count
    while (heldCount > MAX_HELD && held.length > 1) {
      const oldest = held.shift()!
      heldCount -= oldest.count
      dropped += oldest.count
    }
  }
  const clientId = `machhub-edge-${randomUUID()}`

  const failed = (message: string, fields: Record<string, unknown>) => {
    if (failureLogged) return
    failureLogged = true
    options.log("error", message, fields)
  }

  const open = () => {
    if (closed) return
    const endpoint = options.broker()
    const current = connectBroker(endpoint)
    socket = current
    ready = false
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    parser.on("packet", (packet: Packet) => {
      if (packet.cmd !== "connack") return
      if ((packet.returnCode ?? 0) !== 0) {
        failed("the MQTT broker refused the server's own connection; values from HTTP and NATS do not reach MQTT subscribers until it accepts it", { returnCode: packet.returnCode })
        current.destroy()
        return
      }
      ready = true
      if (failureLogged) options.log("info", "the MQTT broker accepts the server's own connection again")
      failureLogged = false
      for (const { bytes } of held) current.write(bytes)
      held = []
      heldCount = 0
      if (dropped > 0) options.log("warn", "values were not relayed to MQTT while the broker was unreachable", { dropped })
      dropped = 0
    })
    parser.on("error", () => current.destroy())
    current.on("data", (chunk: Buffer) => parser.parse(chunk))
    current.on("error", (error: Error) => failed("the MQTT broker cannot be reached; trying again every second", { host: endpoint.host, port: endpoint.port, error: error.message }))
    current.on("close", () => {
      if (socket === current) socket = undefined
      ready = false
      if (!closed) setTimeout(open, RECONNECT_DELAY_MS).unref()
    })
    current.write(mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId,
      clean: true,
      // No MQTT keepalive: a dead connection shows as a closed socket (TCP keepalive, see connectBroker).
      keepalive: 0,
      ...brokerCredentials(endpoint)
    }))
  }
  open()

  return {
    publish: (topic, payload, retain) => {
      if (closed) return
      topics.push(topic)
      payloads.push(payload)
      retains.push(retain)
      if (!flushing) {
        flushing = true
        process.nextTick(flush)
      }
    },
    close: () => {
      flush()
      closed = true
      if (socket !== undefined && ready) socket.end(mqttPacket.generate({ cmd: "disconnect" }))
      else socket?.destroy()
    }
  }
}
