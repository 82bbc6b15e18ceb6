import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

export const API_KEY_TOKEN_PREFIX = "mchx_"
const SECRET_BYTES = 32
/** `mchx_` + 32 bytes in base64url (43 characters, no padding). */
const tokenPattern = /^mchx_[A-Za-z0-9_-]{43}$/

/** A new API key: 256 random bits, so guessing one is hopeless and no per-key salt is needed. */
export const generateApiKeyToken = (): string => API_KEY_TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString("base64url")

/** True when `token` has the shape of a key this server issues (a cheap refusal before any lookup). */
export const isApiKeyToken = (token: string): boolean => tokenPattern.test(token)

export interface ApiKeyHasher {
  /** HMAC-SHA256 of the token under the server secret, hex: what is stored and looked up. */
  hash(token: string): string
  /** Compares two hashes in constant time. */
  same(a: string, b: string): boolean
  /**
   * The token of a key issued by an idempotent request: determined by `seed` (which names the domain,
   * the caller and their Idempotency-Key) under the server secret, so that the retry of a generation
   * whose answer was lost shows the very token whose hash the first try stored. Without the server
   * secret it is as unguessable as a random one.
   */
  derivedToken(seed: string): string
}

/**
 * Keyed hashing rather than a plain digest: without the server secret (kept out of the log and the
 * read models) a leaked table of hashes cannot be checked against candidate keys. A fast HMAC is
 * enough because the keys are random, not passwords.
 */
export const makeApiKeyHasher = (secret: Buffer): ApiKeyHasher => {
  // A subkey of its own, so that derived tokens and stored hashes never come from one HMAC key.
  const tokenKey = createHmac("sha256", secret).update("machhub api-key token derivation", "utf8").digest()
  return {
    hash: (token) => createHmac("sha256", secret).update(token, "utf8").digest("hex"),
    same: (a, b) => {
      const left = Buffer.from(a, "utf8")
      const right = Buffer.from(b, "utf8")
      return left.length === right.length && timingSafeEqual(left, right)
    },
    derivedToken: (seed) =>
      API_KEY_TOKEN_PREFIX + createHmac("sha256", tokenKey).update(seed, "utf8").digest().subarray(0, SECRET_BYTES).toString("base64url")
  }
}
