import { randomBytes, scrypt } from "node:crypto"
import type { KeyDerivation, SealedSecret } from "@machhub/core"
import { openSecret, sealSecret } from "./SecretBox.js"

/**
 * The key that seals a user's SSH machine secrets, derived from their master password with scrypt
 * (memory-hard; node:crypto runs it on libuv's thread pool, so it never blocks the event loop). The
 * master password itself is never stored: only the salt and cost, and a check value that lets a wrong
 * password be told apart cleanly (401) before any machine secret is opened.
 */
const KEY_BYTES = 32
const CHECK_PLAINTEXT = "machhub machine vault v1"

export const newKeyDerivation = (logN: number, r = 8, p = 1): KeyDerivation => ({
  algorithm: "scrypt",
  logN,
  r,
  p,
  salt: randomBytes(16).toString("base64")
})

export const deriveMasterKey = (masterPassword: string, kdf: KeyDerivation): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** kdf.logN
    scrypt(
      masterPassword.normalize("NFC"),
      Buffer.from(kdf.salt, "base64"),
      KEY_BYTES,
      { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key))
    )
  })

const checkAad = (ownerId: string) => `machhub/machine-vault/v1\u0000${ownerId}`

export const sealVaultCheck = (key: Buffer, ownerId: string): SealedSecret => sealSecret(key, CHECK_PLAINTEXT, checkAad(ownerId))

export const opensVaultCheck = (key: Buffer, check: SealedSecret, ownerId: string): boolean =>
  openSecret(key, check, checkAad(ownerId)) === CHECK_PLAINTEXT
