import { spawn, type ChildProcess } from "node:child_process"
import { pbkdf2Sync, randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { connect, createServer } from "node:net"
import { userInfo } from "node:os"
import { join } from "node:path"

/**
 * Where the broker listens and the credential the edge connects with: the private broker's one
 * internal credential, or an external broker's (MQTT_URL), which may take anonymous clients.
 */
export interface BrokerEndpoint {
  readonly host: string
  readonly port: number
  readonly username?: string | undefined
  readonly password?: string | undefined
  /** An external broker reached over TLS (mqtts://). */
  readonly tls?: boolean
}

export interface MosquittoBroker {
  /** The broker's current address: it changes when the broker is restarted after a crash. */
  readonly endpoint: () => BrokerEndpoint
  /** The broker process's id while it runs. */
  readonly pid: () => number | undefined
  /** Stops the broker (retained values and sessions are saved by it on the way out). */
  readonly stop: () => Promise<void>
}

export interface MosquittoOptions {
  /** The broker's files go to `<dataDir>/mqtt/`: config, password file, persistence. */
  readonly dataDir: string
  /** The Mosquitto binary; the Debian package installs it at /usr/sbin/mosquitto. */
  readonly binary?: string
  readonly log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void
}

export class MosquittoUnavailable extends Error {}

const DEFAULT_BINARY = "/usr/sbin/mosquitto"
/**
 * util-linux's setpriv (essential on Debian) starts the broker with a parent-death signal: should
 * this process be killed outright, the kernel sends the broker SIGTERM, so it saves and exits
 * instead of running on without anyone in front of it.
 */
const SETPRIV = "/usr/bin/setpriv"
const INTERNAL_USERNAME = "machhub-edge"
const LOOPBACK = "127.0.0.1"
/** How long a fresh broker may take to accept connections before it is given up. */
const START_TIMEOUT_MS = 10_000
/** After a crash the broker is started again, no faster than this. */
const RESTART_DELAY_MS = 1_000

/**
 * A password file line as Mosquitto 2 reads it (`$7$`: PBKDF2-HMAC-SHA512, 101 iterations, the
 * format mosquitto_passwd writes), computed here so that the clear password never appears in a
 * command line or a file.
 */
const passwordLine = (username: string, password: string): string => {
  const salt = randomBytes(12)
  const iterations = 101
  const hash = pbkdf2Sync(password, salt, iterations, 64, "sha512")
  return `${username}:$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}\n`
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * A broker left running by a server that was killed (a child outlives a SIGKILLed parent) would
 * keep writing the same persistence file: it is stopped before a new one starts. The pid file names
 * it; its command line must be Mosquitto with this data dir's config, so a reused pid is left alone.
 * The data dir's lock already guarantees that no live server owns this broker.
 */
const stopOrphan = async (dir: string, configPath: string): Promise<void> => {
  const pidFile = join(dir, "mosquitto.pid")
  let pid: number
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim())
  } catch {
    return
  }
  let commandLine = ""
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8")
  } catch {
    commandLine = ""
  }
  if (Number.isSafeInteger(pid) && pid > 0 && commandLine.includes("mosquitto") && commandLine.includes(configPath)) {
    process.kill(pid, "SIGTERM")
    for (let i = 0; i < 250 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    if (alive(pid)) process.kill(pid, "SIGKILL")
  }
  rmSync(pidFile, { force: true })
}

/** A port nobody listens on now (the broker binds it a moment later; a lost race is retried). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, LOOPBACK, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

/**
 * The config of the private broker: one loopback listener, no anonymous access, the one internal
 * credential, retained values and sessions kept in the data dir. Everything clients may do is
 * decided by the edge in front of it, so the broker needs no ACL. When this process runs as root,
 * Mosquitto would switch to the `mosquitto` user, which could not read the owner-only data dir:
 * it is told to stay the user it is started as.
 */
const configText = (dir: string, port: number): string =>
  [
    `listener ${port} ${LOOPBACK}`,
    "allow_anonymous false",
    `password_file ${join(dir, "passwd")}`,
    "persistence true",
    `persistence_location ${dir}/`,
    "persistence_file mosquitto.db",
    // Retained values and sessions are written every 60 s and when the broker stops.
    "autosave_interval 60",
    `user ${userInfo().username}`,
    "set_tcp_nodelay true",
    // Clients' connections are the edge's: many sessions, one address. Nothing limits them here.
    "max_connections -1",
    // Queued messages of an offline persistent session are bounded (Mosquitto's default: 1000).
    "max_queued_messages 1000",
    // Sessions of clients that never come back are dropped after a week.
    "persistent_client_expiration 7d",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "connection_messages false",
    ""
  ].join("\n")

/**
 * Runs Mosquitto as a child process on a private loopback port, supervised: if it exits unexpectedly
 * it is started again (on a new port if needed); clients of the edge reconnect. Rejects with
 * MosquittoUnavailable when the binary is missing or the broker does not come up.
 */
export const startMosquitto = async (options: MosquittoOptions): Promise<MosquittoBroker> => {
  const binary = options.binary ?? DEFAULT_BINARY
  if (!existsSync(binary)) throw new MosquittoUnavailable(`${binary} is not installed (Debian package mosquitto)`)
  const dir = join(options.dataDir, "mqtt")
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  // A fresh internal password every start: nothing but this process ever holds it.
  const password = randomBytes(24).toString("base64url")
  writeFileSync(join(dir, "passwd"), passwordLine(INTERNAL_USERNAME, password), { mode: 0o600 })

  const configPath = join(dir, "mosquitto.conf")
  await stopOrphan(dir, configPath)

  let child: ChildProcess | undefined
  let current: BrokerEndpoint | undefined
  let stopping = false
  let restartTimer: NodeJS.Timeout | undefined

  const launch = async (): Promise<BrokerEndpoint> => {
    let lastError = "unknown"
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      writeFileSync(configPath, configText(dir, port), { mode: 0o600 })
      const command = existsSync(SETPRIV) ? [SETPRIV, "--pdeathsig", "TERM", "--", binary, "-c", configPath] : [binary, "-c", configPath]
      const proc = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      proc.stderr!.setEncoding("utf8")
      proc.stderr!.on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000)
        if (proc === child) {
          for (const line of chunk.split("\n")) if (line.trim() !== "") options.log("warn", "mosquitto", { line: line.trim() })
        }
      })
      let exited = false
      proc.once("exit", () => (exited = true))
      proc.once("error", (error) => {
        exited = true
        stderr += error.message
      })
      const deadline = Date.now() + START_TIMEOUT_MS
      while (!exited && Date.now() < deadline) {
        if (await accepts(port)) break
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      if (!exited && Date.now() < deadline) {
        child = proc
        writeFileSync(join(dir, "mosquitto.pid"), `${proc.pid}\n`, { mode: 0o600 })
        proc.once("exit", (code, signal) => {
          if (proc !== child || stopping) return
          child = undefined
          options.log("error", "the MQTT broker exited; starting it again", { code, signal })
          restartTimer = setTimeout(() => {
            restartTimer = undefined
            launch().then(
              (endpoint) => (current = endpoint),
              (error: unknown) => options.log("error", "the MQTT broker could not be started again", { error: String(error) })
            )
          }, RESTART_DELAY_MS)
        })
        return { host: LOOPBACK, port, username: INTERNAL_USERNAME, password }
      }
      proc.kill("SIGKILL")
      lastError = stderr.trim() || "it did not accept connections in time"
    }
    throw new MosquittoUnavailable(`mosquitto did not start: ${lastError}`)
  }

  current = await launch()
  return {
    endpoint: () => current!,
    pid: () => child?.pid,
    stop: async () => {
      stopping = true
      if (restartTimer !== undefined) clearTimeout(restartTimer)
      const proc = child
      child = undefined
      if (proc === undefined || proc.exitCode !== null) return
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => proc.kill("SIGKILL"), 5_000)
        proc.once("exit", () => {
          clearTimeout(force)
          resolve()
        })
        // SIGTERM: Mosquitto writes its persistence file, then exits.
        proc.kill("SIGTERM")
      })
      rmSync(join(dir, "mosquitto.pid"), { force: true })
    }
  }
}
