/**
 * Whether a byte can start a packet: a known type with the flag bits MQTT requires of it (0010 for
 * PUBREL, SUBSCRIBE and UNSUBSCRIBE, 0000 for the others; PUBLISH's flags free but QoS 3).
 */
const validFirstByte = (byte: number): boolean => {
  const type = byte >> 4
  if (type === 0) return false
  if (type === 3) return ((byte >> 1) & 0x03) !== 3
  return (byte & 0x0f) === (type === 6 || type === 8 || type === 10 ? 2 : 0)
}

export interface FramerHandlers {
  /** A whole packet; `header` is the length of its fixed header (type byte and remaining length). */
  readonly packet: (packet: Buffer, header: number) => void
  /** Bytes that do not start a packet (a bad first byte or remaining length), from there to the chunk's end. */
  readonly malformed: (rest: Buffer) => void
  /** A packet announced longer than the limit: nothing of it is held. */
  readonly tooLarge: () => void
  /** Whether to stop reading (the connection was ended by a packet). */
  readonly stopped: () => boolean
}

/**
 * Cuts a stream of MQTT bytes into whole packets (fixed header, remaining length) before anything
 * reads them, holding the start of a packet until the rest arrives (a large one is joined once,
 * when whole). What reads the packets then never sees part of one.
 */
export class PacketFramer {
  private held: Array<Buffer> = []
  private heldLength = 0
  /** The length the held packet announced (0: its remaining length is not read yet). */
  private heldNeeded = 0

  constructor(private readonly maxRemaining: number, private readonly on: FramerHandlers) {}

  push(chunk: Buffer): void {
    let bytes = chunk
    if (this.heldLength > 0) {
      this.held.push(chunk)
      this.heldLength += chunk.length
      if (this.heldLength < this.heldNeeded) return
      bytes = Buffer.concat(this.held, this.heldLength)
      this.held = []
      this.heldLength = 0
      this.heldNeeded = 0
    }
    let at = 0
    while (at < bytes.length && !this.on.stopped()) {
      if (!validFirstByte(bytes[at]!)) return this.on.malformed(bytes.subarray(at))
      // The remaining length: one to four bytes of seven bits, least significant first.
      let remaining = 0
      let multiplier = 1
      let header = 1
      let complete = false
      while (at + header < bytes.length) {
        const digit = bytes[at + header]!
        remaining += (digit & 0x7f) * multiplier
        header++
        if ((digit & 0x80) === 0) {
          complete = true
          break
        }
        if (header > 4) return this.on.malformed(bytes.subarray(at))
        multiplier *= 0x80
      }
      if (!complete) return this.hold(bytes.subarray(at), 0)
      if (remaining > this.maxRemaining) return this.on.tooLarge()
      const total = header + remaining
      if (at + total > bytes.length) return this.hold(bytes.subarray(at), total)
      const packet = bytes.subarray(at, at + total)
      at += total
      this.on.packet(packet, header)
    }
  }

  private hold(rest: Buffer, needed: number): void {
    this.held = [rest]
    this.heldLength = rest.length
    this.heldNeeded = needed
  }
}

/** The fixed header of a packet whose remaining length is `remaining`, written at `at`; answers where it ends. */
export const writeFixedHeader = (bytes: Buffer, first: number, remaining: number): number => {
  let at = 0
  bytes[at++] = first
  let length = remaining
  do {
    let digit = length % 0x80
    length = Math.floor(length / 0x80)
    if (length > 0) digit |= 0x80
    bytes[at++] = digit
  } while (length > 0)
  return at
}

/** Bytes of a packet with that remaining length, fixed header included. */
export const packetBytes = (remaining: number): number => 1 + (remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x200000 ? 3 : 4) + remaining
