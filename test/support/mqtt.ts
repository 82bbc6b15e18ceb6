import { createRequire } from "node:module"
import type { IClientOptions, MqttClient, Packet } from "mqtt"

const require = createRequire(import.meta.url)

/**
 * The `mqtt` client's WebSocket transport calls `WebSocket.createWebSocketStream`, which `ws` defines
 * on its CommonJS export. The test runner resolves packages with the `import` condition, so `ws`
 * arrives as its ES module, whose default export lacks it: it is put back before `mqtt` loads.
 */
const ws = createRequire(require.resolve("mqtt"))("ws") as { default?: { createWebSocketStream?: unknown }; createWebSocketStream?: unknown }
if (ws.default !== undefined && ws.default.createWebSocketStream === undefined) ws.default.createWebSocketStream = ws.createWebSocketStream
const mqtt = require("mqtt") as typeof import("mqtt")

export type { MqttClient }

/** Connects once (no reconnecting); rejects with the CONNACK refusal (its `code`) or the transport error. */
export const connectMqtt = (url: string, options: IClientOptions, opened: Array<MqttClient>): Promise<MqttClient> =>
  new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options })
    opened.push(client)
    client.once("connect", () => resolve(client))
    client.once("error", (error) => {
      client.end(true)
      reject(error)
    })
  })

export interface Received {
  readonly topic: string
  readonly payload: string
  readonly retain: boolean
  readonly qos: number
}

/** Every message the client receives from now on. */
export const collect = (client: MqttClient): Array<Received> => {
  const messages: Array<Received> = []
  client.on("message", (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos }))
  return messages
}

/** Waits for a condition on messages already flowing (a few seconds at most). */
export const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

/** The SUBACK's codes as sent (the client library reports only the first refusal). */
export const subscribeCodes = (client: MqttClient, filters: Array<string>): Promise<Array<number>> =>
  new Promise((resolve) => {
    const listener = (packet: Packet) => {
      if (packet.cmd !== "suback") return
      client.off("packetreceive", listener)
      resolve(packet.granted as Array<number>)
    }
    client.on("packetreceive", listener)
    client.subscribe(filters, { qos: 1 }, () => {})
  })
