import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs"
import { createConnection, createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { describe } from "vitest"

/**
 * A real NATS server for tests. Preferred: our own `nats-server` child on a free loopback port
 * (JetStream on, temp store dir), which outage tests can stop and restart on the same port.
 * Fallback: an external server at `NATS_URL` (cannot be stopped). Neither: skip locally, but fail
 * loudly under CI, where a silently skipped bus suite would look like a passing one.
 */
export type NatsTarget =
  | { readonly kind: "binary"; readonly bin: string }
  | { readonly kind: "external"; readonly url: string }
  | { readonly kind: "none" }

const findOnPath = (name: string): string | undefined => {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

const resolveTarget = (): NatsTarget => {
  const bin = findOnPath("nats-server")
  if (bin !== undefined) return { kind: "binary", bin }
  const url = process.env.NATS_URL
  if (url !== undefined && url !== "") return { kind: "external", url }
  return { kind: "none" }
}

export const natsTarget: NatsTarget = resolveTarget()

const missing = (what: string) =>
  `${what}: no \`nats-server\` on PATH and no NATS_URL set. Install nats-server or set NATS_URL.`

if (natsTarget.kind === "none" && process.env.CI) {
  // Thrown at import, so every suite that needs NATS fails in CI instead of being skipped.
  throw new Error(missing("NATS is required in CI"))
}

type SuiteBody = () => void

/** `describe` for suites needing any NATS server; skipped (outside CI) when there is none. */
export const describeWithNats = (name: string, body: SuiteBody): void => {
  if (natsTarget.kind === "none") describe.skip(name, body)
  else describe(name, body)
}

/**
 * `describe` for suites that stop and restart the server, which only our own child process allows.
 * In CI with only an external server this fails rather than skips.
 */
export const describeWithManagedNats = (name: string, body: SuiteBody): void => {
  if (natsTarget.kind === "binary") describe(name, body)
  else if (process.env.CI) {
    describe(name, () => {
      throw new Error(missing("outage tests need a nats-server binary they can stop and restart"))
    })
  } else describe.skip(name, body)
}

export interface NatsTestServer {
  readonly url: string
  /** True when this process owns the server, i.e. `stop`/`restart` work. */
  readonly managed: boolean
  /**
   * Stops the server, keeping port and store for `restart`: gracefully (SIGTERM), or at once with
   * `{ abrupt: true }` (SIGKILL: connections drop with requests and acknowledgements in flight).
   */
  stop(options?: { readonly abrupt?: boolean }): Promise<void>
  /** Starts it again on the same port; resolves once it accepts connections. */
  restart(): Promise<void>
  /** Stops the server for good and removes its store. */
  dispose(): Promise<void>
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Resolves once something on the port greets us with a NATS INFO line. */
const greets = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once("data", (data) => done(data.toString("utf8").startsWith("INFO")))
    socket.once("error", () => done(false))
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const STARTUP_TIMEOUT_MS = 15_000
const STOP_GRACE_MS = 5_000

export const startNatsServer = async (): Promise<NatsTestServer> => {
  if (natsTarget.kind === "none") throw new Error(missing("cannot start NATS"))
  if (natsTarget.kind === "external") {
    const unsupported = () => Promise.reject(new Error("an external NATS_URL server cannot be stopped or restarted"))
    return { url: natsTarget.url, managed: false, stop: unsupported, restart: unsupported, dispose: async () => {} }
  }

  const bin = natsTarget.bin
  const port = await freePort()
  const storeDir = mkdtempSync(join(tmpdir(), "machhub-nats-"))
  let child: ChildProcess | undefined
  let stderr = ""

  const launch = async () => {
    stderr = ""
    const proc = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
      stdio: ["ignore", "ignore", "pipe"]
    })
    child = proc
    proc.stderr?.on("data", (chunk: Buffer) => {
      // Keep only the tail: enough to explain a failed start.
      stderr = (stderr + chunk.toString("utf8")).slice(-4_000)
    })
    let exited = false
    proc.once("exit", () => {
      exited = true
    })
    const deadline = Date.now() + STARTUP_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (exited) throw new Error(`nats-server exited during startup:\n${stderr}`)
      if (await greets(port)) return
      await sleep(50)
    }
    proc.kill("SIGKILL")
    throw new Error(`nats-server did not accept connections on port ${port} within ${STARTUP_TIMEOUT_MS} ms:\n${stderr}`)
  }

  const stop = async (options: { readonly abrupt?: boolean } = {}) => {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    proc.kill(options.abrupt === true ? "SIGKILL" : "SIGTERM")
    const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  // A crashed test run must not leave servers behind.
  const killOnExit = () => child?.kill("SIGKILL")
  process.once("exit", killOnExit)

  await launch()
  return {
    url: `nats://127.0.0.1:${port}`,
    managed: true,
    stop,
    restart: async () => {
      await stop()
      await launch()
    },
    dispose: async () => {
      await stop()
      process.removeListener("exit", killOnExit)
      rmSync(storeDir, { recursive: true, force: true })
    }
  }
}
