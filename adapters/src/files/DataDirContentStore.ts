import { createReadStream, mkdirSync, rmSync } from "node:fs"
import { mkdir, open, rename, stat, unlink } from "node:fs/promises"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { isDomainName } from "@machhub/core"
import { isSha256Hex, type ContentStore, type StoredContent } from "./ContentStore.js"

/** Reads of stored files go out in pieces of this size (each one write to the socket). */
const READ_CHUNK_BYTES = 64 * 1024
/** Where a file is written before it takes its name: a crash leaves it here, never half-written under its name. */
const TEMP_DIR = ".incoming"

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code

/**
 * Files in the data dir: `<root>/<domain>/<first two hex digits>/<sha256>`, owner-only (directories
 * 0700, files 0600) like the rest of the data dir, since they hold tenants' data. A file is written
 * under a temporary name, flushed to disk and then renamed, so its name never shows partial bytes;
 * what a crash left half-written is cleared when the store opens.
 */
export const makeDataDirContentStore = (root: string): ContentStore => {
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const incoming = join(root, TEMP_DIR)
  rmSync(incoming, { recursive: true, force: true })
  mkdirSync(incoming, { mode: 0o700 })

  const directoryOf = (domain: string, sha256: string): string => {
    // Both become path segments: only names that cannot climb out of the root are accepted.
    if (!isDomainName(domain)) throw new Error(`not a domain name: ${JSON.stringify(domain.slice(0, 80))}`)
    if (!isSha256Hex(sha256)) throw new Error(`not a SHA-256 in hex: ${JSON.stringify(sha256.slice(0, 80))}`)
    return join(root, domain, sha256.slice(0, 2))
  }

  const syncDirectory = async (path: string): Promise<void> => {
    const handle = await open(path, "r")
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  const put = async (domain: string, sha256: string, bytes: Uint8Array): Promise<{ created: boolean }> => {
    const directory = directoryOf(domain, sha256)
    const path = join(directory, sha256)
    try {
      // Content-addressed: the same name holds the same bytes, unless a crash damaged them (size differs).
      if ((await stat(path)).size === bytes.byteLength) return { created: false }
    } catch (error) {
      if (code(error) !== "ENOENT") throw error
    }
    const temporary = join(incoming, randomUUID())
    const handle = await open(temporary, "wx", 0o600)
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } catch (error) {
      await handle.close()
      await unlink(temporary).catch(() => undefined)
      throw error
    }
    await handle.close()
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 })
      await rename(temporary, path)
    } catch (error) {
      await unlink(temporary).catch(() => undefined)
      throw error
    }
    // The rename itself is on disk only once its directory is.
    await syncDirectory(directory)
    return { created: true }
  }

  const openContent = async (domain: string, sha256: string): Promise<StoredContent | undefined> => {
    const path = join(directoryOf(domain, sha256), sha256)
    let handle
    try {
      handle = await open(path, "r")
    } catch (error) {
      if (code(error) === "ENOENT") return undefined
      throw error
    }
    try {
      const { size } = await handle.stat()
      // The stream owns the handle from here: it closes it when read to the end or ended early.
      return { size, chunks: createReadStream("", { fd: handle, highWaterMark: READ_CHUNK_BYTES, autoClose: true }) }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  const remove = async (domain: string, sha256: string): Promise<void> => {
    try {
      await unlink(join(directoryOf(domain, sha256), sha256))
    } catch (error) {
      if (code(error) !== "ENOENT") throw error
    }
  }

  return { put, open: openContent, remove }
}

