import { randomBytes, scrypt, timingSafeEqual } from "node:crypto"
import { Effect, Layer } from "effect"
import { PasswordHasher, type PasswordHasherService } from "@machhub/core"

/**
 * scrypt from node:crypto: memory-hard, and it runs on libuv's thread pool, so hashing never blocks
 * the event loop. The cost is stored in each hash (`scrypt$<log2 N>$<r>$<p>$<salt>$<key>`), so it can
 * be raised later without invalidating existing hashes. The default 2^17 / 8 / 1 follows OWASP's
 * minimum for scrypt.
 */
export interface ScryptOptions {
  readonly logN?: number
  readonly r?: number
  readonly p?: number
}

const KEY_LENGTH = 32

const derive = (password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** logN
    scrypt(password.normalize("NFC"), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key))
  })

interface ParsedHash {
  readonly logN: number
  readonly r: number
  readonly p: number
  readonly salt: Buffer
  readonly key: Buffer
}

const parse = (hash: string): ParsedHash | undefined => {
  const parts = hash.split("$")
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined
  const [logN, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])]
  if (![logN, r, p].every(Number.isSafeInteger) || logN < 1 || logN > 22 || r < 1 || r > 32 || p < 1 || p > 16) return undefined
  return { logN, r, p, salt: Buffer.from(parts[4]!, "base64"), key: Buffer.from(parts[5]!, "base64") }
}

export const makeScryptPasswordHasher = (options: ScryptOptions = {}): PasswordHasherService => {
  const logN = options.logN ?? 17
  const r = options.r ?? 8
  const p = options.p ?? 1
  const hash = Effect.fn("PasswordHasher.hash")((password: string) =>
    Effect.promise(async () => {
      const salt = randomBytes(16)
      const key = await derive(password, salt, logN, r, p)
      return `scrypt$${logN}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`
    }))
  const verify = Effect.fn("PasswordHasher.verify")((stored: string, password: string) =>
    Effect.promise(async () => {
      const parsed = parse(stored)
      if (parsed === undefined || parsed.key.length !== KEY_LENGTH) return false
      const key = await derive(password, parsed.salt, parsed.logN, parsed.r, parsed.p)
      return timingSafeEqual(key, parsed.key)
    }))
  const dummySalt = randomBytes(16)
  const dummyVerify = Effect.fn("PasswordHasher.dummyVerify")((password: string) =>
    Effect.promise(() => derive(password, dummySalt, logN, r, p)).pipe(Effect.asVoid))
  return { hash, verify, dummyVerify }
}

export const ScryptPasswordHasherLayer = (options: ScryptOptions = {}) =>
  Layer.succeed(PasswordHasher, makeScryptPasswordHasher(options))
