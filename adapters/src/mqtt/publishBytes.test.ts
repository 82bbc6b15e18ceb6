import mqttPacket, { type IPublishPacket } from "mqtt-packet"
import { describe, expect, it } from "vitest"
import { encodePlainPublish } from "./publishBytes.js"

describe("encodePlainPublish", () => {
  it("writes the bytes mqtt-packet writes, for every QoS, flag, version and length class", () => {
    const payloads = [Buffer.alloc(0), Buffer.from("42"), Buffer.alloc(200, 1), Buffer.alloc(20_000, 2), Buffer.alloc(3_000_000, 3)]
    const topics = ["a", "plant/line/temp", "é/ü/€/𝄞", "x".repeat(512)]
    for (const protocolVersion of [4, 5]) {
      for (const qos of [0, 1, 2] as const) {
        for (const payload of payloads) {
          for (const topic of topics) {
            for (const [dup, retain] of [[false, false], [true, true]] as const) {
              const packet: IPublishPacket = { cmd: "publish", topic, payload, qos, dup: qos > 0 && dup, retain, ...(qos > 0 ? { messageId: 65_535 } : {}) }
              expect(encodePlainPublish(packet, protocolVersion)!.equals(mqttPacket.generate(packet, { protocolVersion })), `${protocolVersion} ${qos} ${payload.length} ${topic.length}`).toBe(true)
            }
          }
        }
      }
    }
  })

  it("leaves publishes with MQTT 5 properties to mqtt-packet", () => {
    expect(encodePlainPublish({ cmd: "publish", topic: "a", payload: "x", qos: 0, dup: false, retain: false, properties: { contentType: "text/plain" } }, 5)).toBeUndefined()
  })
})
