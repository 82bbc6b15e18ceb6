import type { IPublishPacket } from "mqtt-packet"

const remainingLengthBytes = (length: number): number => (length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4)

/**
 * A PUBLISH without properties written straight to bytes: the packet the edge relays most, so it
 * skips mqtt-packet's general encoder (which walks every possible property). Publishes with MQTT 5
 * properties answer undefined and are encoded by mqtt-packet.
 */
export const encodePlainPublish = (packet: IPublishPacket, protocolVersion: number): Buffer | undefined => {
  if (packet.properties !== undefined && Object.keys(packet.properties).length > 0) return undefined
  const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload
  const topicLength = Buffer.byteLength(packet.topic)
  const remaining = 2 + topicLength + (packet.qos > 0 ? 2 : 0) + (protocolVersion === 5 ? 1 : 0) + payload.length
  const bytes = Buffer.allocUnsafe(1 + remainingLengthBytes(remaining) + remaining)
  let at = 0
  bytes[at++] = 0x30 | (packet.dup ? 0x08 : 0) | (packet.qos << 1) | (packet.retain ? 0x01 : 0)
  let length = remaining
  do {
    let digit = length % 0x80
    length = Math.floor(length / 0x80)
    if (length > 0) digit |= 0x80
    bytes[at++] = digit
  } while (length > 0)
  bytes.writeUInt16BE(topicLength, at)
  at += 2
  at += bytes.write(packet.topic, at, "utf8")
  if (packet.qos > 0) {
    bytes.writeUInt16BE(packet.messageId!, at)
    at += 2
  }
  if (protocolVersion === 5) bytes[at++] = 0
  payload.copy(bytes, at)
  return bytes
}
