import { randomBytes } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"

const KEY_BYTES = 32

/**
 * A server secret of 32 random bytes kept in the data directory (mode 0600), created on first start,
 * e.g. the key API-key hashes are computed with. It never enters the event log, so a copy of the log
 * alone cannot be used to test guessed keys. Losing the file makes every issued API key unusable.
 */
export const loadOrCreateHmacKey = (path: string): Buffer => {
  let key: Buffer
  try {
    key = readFileSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
    key = randomBytes(KEY_BYTES)
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    // "wx": never overwrite a key another process wrote first; read back whichever won.
    try {
      writeFileSync(path, key, { mode: 0o600, flag: "wx" })
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== "EEXIST") throw writeError
      key = readFileSync(path)
    }
  }
  if (key.length !== KEY_BYTES) {
    throw new Error(`${path} must hold exactly ${KEY_BYTES} bytes (it holds ${key.length}); restore it from a backup`)
  }
  return key
}
