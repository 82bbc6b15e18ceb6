import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { isSealedSecret, type SealedSecret } from "@machhub/core"

/**
 * AES-256-GCM with associated data. The associated data is not stored: whoever opens the secret must
 * name the same context (machine, owner, field), so a ciphertext copied to another machine, owner or
 * field fails to open instead of decrypting there. A fresh random 96-bit IV per seal.
 */
const ALGORITHM = "aes-256-gcm"
const IV_BYTES = 12
const TAG_BYTES = 16

export const sealSecret = (key: Buffer, plaintext: string, associatedData: string): SealedSecret => {
  if (key.length !== 32) throw new Error("AES-256-GCM needs a 32-byte key")
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(associatedData, "utf8"))
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return `gcm1.${iv.toString("base64url")}.${ciphertext.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`
}

/** The plaintext, or undefined when the key or the associated data is wrong (or the text was altered). */
export const openSecret = (key: Buffer, sealed: SealedSecret, associatedData: string): string | undefined => {
  if (key.length !== 32 || !isSealedSecret(sealed)) return undefined
  const [, iv, ciphertext, tag] = sealed.split(".") as [string, string, string, string]
  try {
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, "base64url"), { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(associatedData, "utf8"))
    decipher.setAuthTag(Buffer.from(tag, "base64url"))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8")
  } catch {
    return undefined
  }
}
