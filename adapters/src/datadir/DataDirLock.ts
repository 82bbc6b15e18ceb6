import { readFileSync, unlinkSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"

/**
 * Files of a data directory that more than one program knows about: the server writes them, the CLI
 * (`apps/cli`) reads or rebuilds them.
 */
export const dataDirFiles = {
  events: "events.db",
  readModels: "readmodels.db",
  lock: "machhub.lock"
} as const

/** Who holds a data directory: written as JSON into `machhub.lock`. */
export interface LockHolder {
  readonly pid: number
  readonly host: string
  /** "server", or the CLI command that holds it ("replay"). */
  readonly role: string
  readonly since: string
}

export type LockOutcome =
  | { readonly acquired: true; readonly release: () => void; readonly replaced?: LockHolder | undefined }
  | { readonly acquired: false; readonly holder: LockHolder | undefined }

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readHolder = (path: string): LockHolder | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>
    if (typeof parsed.pid !== "number" || typeof parsed.host !== "string") return undefined
    return { pid: parsed.pid, host: parsed.host, role: String(parsed.role ?? "unknown"), since: String(parsed.since ?? "") }
  } catch {
    return undefined
  }
}

/**
 * A lock left behind by a process that is gone (killed, crashed, host rebooted). Only a process on this
 * host can be checked; one of the same pid is this very process (an in-process restart, or a container
 * whose server is always pid 1), so its lock is ours to take over.
 */
const isStale = (holder: LockHolder): boolean =>
  holder.host === hostname() && (holder.pid === process.pid || !isAlive(holder.pid))

/**
 * Takes `machhub.lock` in a data directory: created exclusively (O_EXCL), so of two processes only one
 * gets it. The server holds it while it runs and `machhub replay` while it swaps the read models, so
 * neither can rewrite the read models under the other. Read-only tools (verify, export, tail) do not
 * take it. A stale lock (see isStale) is replaced; `force` also replaces a live or unverifiable one
 * (a holder on another host sharing the directory), at the caller's risk.
 *
 * Advisory only: SQLite itself still allows concurrent connections. A process killed with SIGKILL leaves
 * the file behind; the next holder on the same host sees its pid is gone and replaces it.
 */
export const acquireDataDirLock = (dataDir: string, role: string, options: { readonly force?: boolean } = {}): LockOutcome => {
  const path = join(dataDir, dataDirFiles.lock)
  const me: LockHolder = { pid: process.pid, host: hostname(), role, since: new Date().toISOString() }
  const content = `${JSON.stringify(me)}\n`
  let replaced: LockHolder | undefined
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, content, { flag: "wx" })
      const release = () => {
        // Only remove the file while it is still ours (a forced takeover may have replaced it).
        const holder = readHolder(path)
        if (holder !== undefined && holder.pid === me.pid && holder.since === me.since && holder.host === me.host) {
          try {
            unlinkSync(path)
          } catch {
            // Already gone: nothing to release.
          }
        }
      }
      return { acquired: true, release, replaced }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    }
    const holder = readHolder(path)
    // An unreadable file is most likely one being written this instant by another process: treat as held.
    if (holder === undefined && !options.force) return { acquired: false, holder }
    if (holder !== undefined && !isStale(holder) && !options.force) return { acquired: false, holder }
    replaced = holder
    try {
      unlinkSync(path)
    } catch {
      // Someone else removed it first; the exclusive create decides who wins.
    }
  }
  return { acquired: false, holder: readHolder(path) }
}

/** Describes a holder for a message: "the server (pid 4242 on host-a, since 2025-…)". */
export const describeLockHolder = (holder: LockHolder | undefined): string =>
  holder === undefined
    ? "another process (its lock file is unreadable)"
    : `${holder.role === "server" ? "a running server" : `\`machhub ${holder.role}\``} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
