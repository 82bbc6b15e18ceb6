import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"

export interface SigningKeys {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

/**
 * The Ed25519 key that signs session tokens, kept in the data directory (mode 0600) so tokens stay
 * valid across restarts. It is a secret: it never enters the event log.
 */
export const loadOrCreateSigningKey = (path: string): SigningKeys => {
  let pem: string
  try {
    pem = readFileSync(path, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
    const { privateKey } = generateKeyPairSync("ed25519")
    pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    // "wx": never overwrite a key another process wrote first; read back whichever won.
    try {
      writeFileSync(path, pem, { mode: 0o600, flag: "wx" })
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== "EEXIST") throw writeError
      pem = readFileSync(path, "utf8")
    }
  }
  const privateKey = createPrivateKey(pem)
  return { privateKey, publicKey: createPublicKey(privateKey) }
}
