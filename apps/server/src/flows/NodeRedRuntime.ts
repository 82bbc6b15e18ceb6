import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { log, type LogLevel } from "../log.js"
import type { FlowNode } from "@machhub/core"
import type { DeployedFlows } from "./DeployedFlows.js"
import { installBridge, type FlowBridge } from "./FlowBridge.js"
import { loadNodeRed } from "./loadNodeRed.js"
import { domainContextStore, nodeRedStorage } from "./nodeRedStorage.js"

/** Where this product's node files are (apps/server/nodered): beside src/ and dist/ alike. */
const NODES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../nodered")

/**
 * Core nodes left out: `function` runs JavaScript in Node's vm, which is no security boundary (a
 * flow could reach the whole server and every domain); `exec` runs shell commands; the file nodes
 * read and write the server's files; TCP and UDP nodes listen on the server's ports.
 */
const EXCLUDED_CORE_NODES = ["10-function.js", "90-exec.js", "10-file.js", "31-tcpin.js", "32-udp.js"]

// Node-RED's log levels (numbers) as this server's.
const LEVELS: Record<number, LogLevel> = { 10: "error", 20: "error", 30: "warn", 40: "info", 50: "debug", 60: "debug", 98: "info", 99: "info" }

/**
 * The Node-RED runtime is a module-wide singleton that cannot be initialised twice: it is started
 * once per process and kept; a server that stops only stops every flow and lets go of it, and a
 * server started later in the same process (a restart in place) takes it over with its own flows.
 * One server at a time runs flows.
 */
let owner: object | undefined
let shared: Promise<Shared> | undefined

/** What the runtime started once reaches through to: the server that runs flows now. */
interface Current {
  readonly deployed: DeployedFlows
  readonly onComplete: (event: Record<string, unknown>) => void
}
let current: Current | undefined

interface Shared {
  readonly red: Red
  readonly server: Server
}

interface Red {
  init(server: Server, settings: Record<string, unknown>): void
  start(): Promise<void>
  stop(): Promise<void>
  readonly httpAdmin: (req: unknown, res: unknown) => void
  readonly hooks: { add(name: string, hook: (event: Record<string, unknown>) => void): void; remove(name: string): void }
  readonly nodes: { getType(type: string): unknown; setFlows(flows: ReadonlyArray<unknown>, credentials: null, type: "flows"): Promise<unknown> }
  readonly events: { on(name: string, listener: (event: { readonly id?: string }) => void): void; off(name: string, listener: (event: { readonly id?: string }) => void): void }
}

export interface NodeRedRuntime {
  /** The Unix socket the editor and admin API answer on (owner-only directory); the edge proxies /flows to it. */
  readonly socketPath: string
  readonly red: Red
  /** Loads every domain's flows again (after a deploy): Node-RED stops the changed nodes and starts them anew. */
  readonly reload: () => Promise<void>
  /** The node types a flows file uses that this runtime does not have (function, exec... are left out). */
  readonly missingTypes: (flows: ReadonlyArray<FlowNode>) => ReadonlyArray<string>
  /** Resolves once the reloads asked for so far are done. */
  readonly idle: () => Promise<void>
  readonly stop: () => Promise<void>
}

/**
 * Starts Node-RED inside this process: its userDir in the data dir (owner-only), flows from the log
 * through the storage module, no file writes, its logs in this server's log, the editor and admin
 * API on a Unix socket that only this server reaches (the edge serves them at /flows behind its own
 * login). Takes about a second (loading Node-RED's modules): started on first use.
 */
export const startNodeRed = async (options: {
  readonly dataDir: string
  readonly deployed: DeployedFlows
  readonly bridge: FlowBridge
  readonly onComplete: (event: Record<string, unknown>) => void
}): Promise<NodeRedRuntime> => {
  if (owner !== undefined) throw new Error("another server in this process runs the flows (Node-RED runs once per process)")
  const token = {}
  owner = token
  try {
    const userDir = join(options.dataDir, "node-red")
    mkdirSync(userDir, { recursive: true, mode: 0o700 })
    chmodSync(userDir, 0o700)
    // A Unix socket path is at most ~107 bytes: a deep data dir gets an owner-only temporary one.
    let socketDir = userDir
    let ownSocketDir = false
    if (join(userDir, "admin.sock").length > 100) {
      socketDir = mkdtempSync(join(tmpdir(), "machhub-flows-"))
      ownSocketDir = true
    }
    const socketPath = join(socketDir, "admin.sock")
    if (existsSync(socketPath)) rmSync(socketPath)

    await options.deployed.load()
    installBridge(options.bridge)
    current = { deployed: options.deployed, onComplete: options.onComplete }
    const first = shared === undefined
    shared ??= initNodeRed(userDir)
    const { red, server } = await shared.catch((error: unknown) => {
      shared = undefined
      throw error
    })
    // Started just now, the runtime loaded the flows itself; taken over, it gets this server's.
    if (!first) await applyFlows(red, options.deployed.runtimeFlows(missingTypesOf(red)))
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject)
      server.listen(socketPath, () => {
        server.off("error", reject)
        resolveListen()
      })
    })
    chmodSync(socketPath, 0o600)
    let stopping: Promise<void> | undefined
    let reloading: Promise<void> = Promise.resolve()
    return {
      socketPath,
      red,
      // One reload at a time; each resolves once the changed flows have started again.
      reload: () => (reloading = reloading.then(() => applyFlows(red, options.deployed.runtimeFlows(missingTypesOf(red))))),
      missingTypes: missingTypesOf(red),
      idle: () => reloading.catch(() => {}),
      stop: () =>
        (stopping ??= (async () => {
          try {
            await reloading.catch(() => {})
            // Every flow stops (their nodes close: subscriptions end, entries are withdrawn).
            await applyFlows(red, [])
          } finally {
            await new Promise<void>((r) => server.close(() => r()))
            if (ownSocketDir) rmSync(socketDir, { recursive: true, force: true })
            installBridge(undefined)
            current = undefined
            owner = undefined
          }
        })())
    }
  } catch (error) {
    current = undefined
    owner = undefined
    throw error
  }
}

/** Starts Node-RED once per process: its userDir in the first server's data dir, flows from whichever server runs them. */
const initNodeRed = async (userDir: string): Promise<Shared> => {
  // Node-RED reads the userDir's package.json for modules installed there (none: installing is off).
  const userPackage = join(userDir, "package.json")
  if (!existsSync(userPackage)) writeFileSync(userPackage, JSON.stringify({ name: "machhub-flows", private: true, description: "Node-RED user directory of this server's flows" }), { mode: 0o600 })
  const red = loadNodeRed<Red>()
  const server = createServer()
  const deployed: DeployedFlows = {
    load: async () => {},
    get: (domain) => current?.deployed.get(domain),
    set: () => false,
    runtimeFlows: () => current?.deployed.runtimeFlows(missingTypesOf(red)) ?? []
  }
  red.init(server, {
    userDir,
    nodesDir: [NODES_DIR],
    nodesExcludes: EXCLUDED_CORE_NODES,
    httpAdminRoot: "/",
    // No Node-RED HTTP endpoints (`http in`): flows are entered through this server's routes.
    httpNodeRoot: false,
    disableEditor: false,
    storageModule: nodeRedStorage(deployed),
    contextStorage: { default: domainContextStore() },
    // Credentials live in memory only (nodeRedStorage.ts): a key per process is enough.
    credentialSecret: randomBytes(32).toString("hex"),
    // Node-RED resolves `${VAR}` settings, env properties and JSONata's $env() from process.env when a
    // flow does not set the variable: every variable the server was started with (its secrets among
    // them: the admin password, store URLs) is excluded, so a flow of any domain reads none of them.
    envVarExcludes: Object.keys(process.env),
    functionExternalModules: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false }, modules: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    logging: {
      console: { level: "off" },
      machhub: {
        level: "info",
        metrics: false,
        audit: false,
        handler: () => (entry: { level: number; msg: unknown; type?: string; id?: string; name?: string }) => {
          const message = entry.msg instanceof Error ? entry.msg.message : typeof entry.msg === "string" ? entry.msg : JSON.stringify(entry.msg)
          log(LEVELS[entry.level] ?? "info", `flows: ${message}`, {
            ...(entry.type === undefined ? {} : { nodeType: entry.type }),
            ...(entry.id === undefined ? {} : { nodeId: entry.id })
          })
        }
      }
    }
  })
  server.on("request", red.httpAdmin as never)
  red.hooks.add("onComplete.machhub", (event) => current?.onComplete(event))
  await red.start()
  return { red, server }
}

/** Types that are no registered node: not tabs, subflows or groups, nor instances of a subflow of the same file. */
const missingTypesOf = (red: Red) => (flows: ReadonlyArray<FlowNode>): ReadonlyArray<string> => {
  const subflows = new Set(flows.filter((n) => n["type"] === "subflow").map((n) => String(n["id"])))
  const missing = new Set<string>()
  for (const node of flows) {
    const type = String(node["type"])
    if (type === "tab" || type === "subflow" || type === "group") continue
    if (type.startsWith("subflow:") ? !subflows.has(type.slice(8)) : red.nodes.getType(type) === undefined) missing.add(type)
  }
  return [...missing]
}

/**
 * Gives the runtime every domain's flows as a "flows" deploy: only the tabs that changed are stopped
 * and started again, so a deploy in one domain leaves the others' flows running. Node-RED resolves
 * before the changed flows have started; they have once it emits `runtime-deploy`.
 */
const applyFlows = async (red: Red, flows: ReadonlyArray<unknown>): Promise<void> => {
  let listener: ((event: { readonly id?: string }) => void) | undefined
  const started = new Promise<void>((resolve) => {
    listener = (event) => {
      if (event.id === "runtime-deploy") resolve()
    }
    red.events.on("runtime-event", listener)
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await red.nodes.setFlows(flows, null, "flows")
    await Promise.race([started, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    red.events.off("runtime-event", listener!)
  }
}
