import { cpSync, existsSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { makeJetStreamEventStore } from "@machhub/adapters"
import type { RecordedEvent } from "@machhub/core"
import { readWholeLog } from "./readWholeLog.js"
import { freePort, startNatsServer, type NatsTestServer } from "./nats-server.js"
import { ADMIN_PASSWORD } from "./server.js"
import { spawnServer, waitForLogin, type ServerProcess } from "./serverProcess.js"
import { tempDir } from "./temp.js"

/**
 * Several server processes (the BUILT server, `npm run build` first) on one managed nats-server with
 * JetStream: the distributed mode of ARCHITECTURE.md "Runtime modes". Each node has its own data dir
 * (read model + keys only; the log is the JetStream stream) and all share the token-signing key and the
 * API-key HMAC secret, copied from the first node's `keys/` (each node would otherwise make its own, and
 * refuse the others' tokens and keys).
 */
export interface ClusterNode {
  readonly name: string
  readonly dataDir: string
  /** Fixed for the node's life, also across restarts, so clients can keep using it. */
  readonly port: number
  readonly url: string
  /** The running process, undefined while the node is down. */
  readonly process: ServerProcess | undefined
  /** Everything every incarnation of the node printed (for failure messages). */
  readonly output: () => string
}

export interface Cluster {
  readonly nats: NatsTestServer
  readonly streamName: string
  readonly nodes: ReadonlyArray<ClusterNode>
  /**
   * Starts one more node with a fresh data dir and the shared keys (or, with `shareKeys: false`, keys
   * of its own); resolves once it listens, which may be before it is ready.
   */
  addNode(options?: { readonly shareKeys?: boolean }): Promise<ClusterNode>
  /** Resolves once `GET /readyz` answers 200 (read models caught up with the log). */
  waitReady(node: ClusterNode, timeoutMillis?: number): Promise<void>
  /** `kill -9`: no graceful shutdown, no flush; resolves once the process is gone. */
  kill(node: ClusterNode): Promise<void>
  /** SIGTERM: graceful stop; resolves with the exit code. */
  stop(node: ClusterNode): Promise<number | string>
  /** Starts a stopped or killed node again on its own data dir and port; resolves once it is ready. */
  restart(node: ClusterNode): Promise<void>
  /** The whole log, read from the JetStream stream with the store adapter (independent of any node). */
  readLog(): Promise<ReadonlyArray<RecordedEvent>>
  /** Kills every node, stops nats-server and removes every data dir. Safe to call twice. */
  dispose(): Promise<void>
}

export interface ClusterOptions {
  readonly nodes: number
  /** The JetStream stream (MACHHUB_JETSTREAM_STREAM); give each test file its own. */
  readonly streamName: string
  /** Extra environment for every node. */
  readonly env?: Record<string, string>
}

const READY_TIMEOUT_MS = 30_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface MutableNode extends ClusterNode {
  process: ServerProcess | undefined
  earlier: string
  cleanup: () => void
}

export const startCluster = async (options: ClusterOptions): Promise<Cluster> => {
  const nats = await startNatsServer()
  const nodes: Array<MutableNode> = []
  const env = {
    MACHHUB_STORE: "jetstream",
    NATS_URL: nats.url,
    MACHHUB_JETSTREAM_STREAM: options.streamName,
    MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // A kill -9 test must not wait 8 s for a graceful stop it does not use; stop() still works.
    MACHHUB_SHUTDOWN_GRACE_MS: "2000",
    ...options.env
  }

  const launch = async (node: MutableNode) => {
    const proc = await spawnServer({ ...env, MACHHUB_DATA_DIR: node.dataDir, PORT: String(node.port) })
    node.process = proc
    // Keep what this incarnation printed once it is gone, for failure messages.
    void proc.exited.then(() => {
      node.earlier += proc.output()
      if (node.process === proc) node.process = undefined
    })
  }

  const newNode = async (shareKeys: boolean): Promise<MutableNode> => {
    const dir = tempDir("machhub-node-")
    const port = await freePort()
    const node: MutableNode = {
      name: `node${nodes.length}`,
      dataDir: dir.path,
      port,
      url: `http://127.0.0.1:${port}`,
      process: undefined,
      earlier: "",
      cleanup: dir.cleanup,
      output: () => node.earlier + (node.process?.output() ?? "")
    }
    nodes.push(node)
    // Every node after the first gets the first node's keys before its first start.
    if (nodes.length > 1 && shareKeys) cpSync(join(nodes[0]!.dataDir, "keys"), join(node.dataDir, "keys"), { recursive: true })
    return node
  }

  const waitReady = async (node: ClusterNode, timeoutMillis = READY_TIMEOUT_MS) => {
    const deadline = Date.now() + timeoutMillis
    let last = "no answer"
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(2_000) })
        if (response.status === 200) return
        last = `${response.status} ${await response.text()}`
      } catch (error) {
        last = String(error)
      }
      await sleep(50)
    }
    throw new Error(`${node.name} not ready within ${timeoutMillis} ms (last: ${last}):\n${node.output().slice(-4_000)}`)
  }

  const kill = async (node: ClusterNode) => {
    const proc = node.process
    if (proc === undefined) return
    proc.child.kill("SIGKILL")
    await proc.exited
  }

  const stop = async (node: ClusterNode) => {
    const proc = node.process
    if (proc === undefined) return "not running"
    proc.child.kill("SIGTERM")
    return proc.exited
  }

  const restart = async (node: ClusterNode) => {
    const mutable = node as MutableNode
    if (mutable.process !== undefined) await kill(node)
    await launch(mutable)
    await waitReady(node)
  }

  const addNode = async (nodeOptions: { readonly shareKeys?: boolean } = {}) => {
    const node = await newNode(nodeOptions.shareKeys ?? true)
    await launch(node)
    return node
  }

  let disposed = false
  const dispose = async () => {
    if (disposed) return
    disposed = true
    await Promise.all(nodes.map(kill))
    await nats.dispose()
    for (const node of nodes) node.cleanup()
  }
  // A crashed test run must not leave servers behind.
  const killOnExit = () => {
    for (const node of nodes) node.process?.child.kill("SIGKILL")
  }
  process.once("exit", killOnExit)

  const readLog = async () => {
    const scope = Effect.runSync(Scope.make())
    try {
      return await Effect.runPromise(
        Effect.gen(function*() {
          const store = yield* makeJetStreamEventStore({ servers: nats.url, streamName: options.streamName })
          return yield* readWholeLog((from, limit) => store.readAll(from, limit))
        }).pipe(Scope.provide(scope))
      )
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }

  try {
    // The first node alone: it creates the keys the others copy, and the bootstrap admin.
    const first = await addNode()
    if (!existsSync(join(first.dataDir, "keys"))) throw new Error(`${first.name} created no keys/:\n${first.output()}`)
    await waitForLogin(first.url, "admin", ADMIN_PASSWORD)
    const others = await Promise.all(Array.from({ length: options.nodes - 1 }, () => addNode()))
    await Promise.all([first, ...others].map((node) => waitReady(node)))
  } catch (error) {
    await dispose()
    process.removeListener("exit", killOnExit)
    throw error
  }

  return {
    nats,
    streamName: options.streamName,
    nodes,
    addNode,
    waitReady,
    kill,
    stop,
    restart,
    readLog,
    dispose: async () => {
      await dispose()
      process.removeListener("exit", killOnExit)
    }
  }
}
