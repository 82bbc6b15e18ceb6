import { createHash } from "node:crypto"
import ssh2 from "ssh2"

// ssh2 is CommonJS: Node's ESM loader offers only its default export, not named ones.
const { utils } = ssh2
import type { HostKey } from "@machhub/core"

/**
 * A server's host key as a pinnable identity: its type and the SHA-256 fingerprint of the raw key
 * blob, written the way OpenSSH prints it (`SHA256:` + base64 without padding), so an operator can
 * compare it with `ssh-keygen -lf` on the machine.
 */
export const hostKeyOf = (raw: Buffer): HostKey => {
  const parsed = utils.parseKey(raw)
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  return {
    algorithm: key === undefined || key instanceof Error ? "unknown" : key.type,
    fingerprint: `SHA256:${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`
  }
}
