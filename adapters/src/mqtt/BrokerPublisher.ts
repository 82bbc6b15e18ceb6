import { randomUUID } from "node:crypto"
import { connect, type Socket } from "node:net"
import mqttPacket, { type Packet } from "mqtt-packet"
import type { BrokerEndpoint } from "./MosquittoBroker.js"

export interface BrokerPublisher {
  /** Publishes at QoS 0 to a broker topic (already under its namespace prefix). */
  publish(topic: string, payload: Buffer | string, retain: boolean): void
  close(): void
}

/** Publishes held while the connection is (re)made; past this many the oldest are dropped. */
const MAX_HELD = 10_000
const RECONNECT_DELAY_MS = 1_000

/**
 * The server's own connection to the private broker, for values that came in another way (HTTP,
 * NATS) and must reach MQTT subscribers. One MQTT 3.1.1 connection with the internal credential,
 * QoS 0 (the value pipeline has already recorded the value; the broker only fans it out), made again
 * if the broker restarts.
 */
export const makeBrokerPublisher = (options: {
  readonly broker: () => BrokerEndpoint
  readonly log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void
}): BrokerPublisher => {
  let socket: Socket | undefined
  let ready = false
  let closed = false
  let held: Array<Buffer> = []
  let dropped = 0
  // Publishes of one tick (an HTTP batch of thousands of values) go out in one write.
  let batch: Array<Buffer> = []
  let flushing = false
  const flush = () => {
    flushing = false
    const bytes = batch
    batch = []
    if (bytes.length === 0) return
    if (ready && socket !== undefined) {
      socket.write(bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes))
      return
    }
    for (const one of bytes) {
      if (held.length >= MAX_HELD) {
        held.shift()
        dropped++
      }
      held.push(one)
    }
  }
  const clientId = `machhub-edge-${randomUUID()}`

  const open = () => {
    if (closed) return
    const endpoint = options.broker()
    const current = connect({ host: endpoint.host, port: endpoint.port })
    socket = current
    ready = false
    current.setNoDelay(true)
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    parser.on("packet", (packet: Packet) => {
      if (packet.cmd !== "connack") return
      if ((packet.returnCode ?? 0) !== 0) {
        options.log("error", "the MQTT broker refused the server's own connection", { returnCode: packet.returnCode })
        current.destroy()
        return
      }
      ready = true
      for (const bytes of held) current.write(bytes)
      held = []
      if (dropped > 0) options.log("warn", "values were not relayed to MQTT while the broker was unreachable", { dropped })
      dropped = 0
    })
    parser.on("error", () => current.destroy())
    current.on("data", (chunk: Buffer) => parser.parse(chunk))
    current.on("error", () => {})
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
      // No keepalive: the broker is on loopback and a dead connection shows as a closed socket.
      keepalive: 0,
      username: endpoint.username,
      password: Buffer.from(endpoint.password)
    }))
  }
  open()

  return {
    publish: (topic, payload, retain) => {
      if (closed) return
      batch.push(mqttPacket.generate({ cmd: "publish", topic, payload, qos: 0, retain, dup: false }))
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
