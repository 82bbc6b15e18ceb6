/**
 * UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then random bits. Time-ordered ids keep event ids
 * roughly sorted, which suits the store's indexes and makes ids readable to an auditor.
 * Randomness comes from Web Crypto, a language global rather than an I/O dependency.
 */
const hex: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

let lastMs = 0
let sequence = 0

// One getRandomValues call per 256 ids: the call itself costs far more than the bytes it returns.
const POOL_IDS = 256
const pool = new Uint8Array(16 * POOL_IDS)
let poolOffset = pool.length

const randomBytes16 = (): Uint8Array => {
  if (poolOffset >= pool.length) {
    globalThis.crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const bytes = pool.slice(poolOffset, poolOffset + 16)
  poolOffset += 16
  return bytes
}

export const uuidv7 = (now: number = Date.now()): string => {
  const bytes = randomBytes16()
  // Monotonic within one millisecond: a 12-bit counter in rand_a keeps ids from one process ordered.
  if (now <= lastMs) {
    now = lastMs
    sequence = (sequence + 1) & 0xfff
    if (sequence === 0) now = ++lastMs
  } else {
    lastMs = now
    sequence = bytes[6]! & 0x0f // random start, leaves room to count up
  }
  bytes[0] = (now / 2 ** 40) & 0xff
  bytes[1] = (now / 2 ** 32) & 0xff
  bytes[2] = (now >>> 24) & 0xff
  bytes[3] = (now >>> 16) & 0xff
  bytes[4] = (now >>> 8) & 0xff
  bytes[5] = now & 0xff
  bytes[6] = 0x70 | ((sequence >>> 8) & 0x0f)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  let out = ""
  for (let i = 0; i < 16; i++) {
    out += hex[bytes[i]!]
    if (i === 3 || i === 5 || i === 7 || i === 9) out += "-"
  }
  return out
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Any RFC 9562 UUID in its canonical text form (used to validate client-supplied correlation ids). */
export const isUuid = (value: string): boolean => value.length === 36 && uuidPattern.test(value)
