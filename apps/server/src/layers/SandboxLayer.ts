import { Effect, Layer } from "effect"
import type { ServerConfig } from "../config.js"
import { closeSandbox, configureSandbox } from "../sandbox/index.js"

/**
 * Servers of this process holding the sandbox. Its worker pool is one per process (started on the
 * first run); several servers may share a process (tests do), so the pool's workers are terminated
 * when the last of them stops.
 */
let holders = 0

/**
 * The sandbox's worker pool (process and function code): sized before its first run, its workers
 * terminated when the server stops, after the processes and flows that run code in it.
 */
export const SandboxLayer = (config: ServerConfig) =>
  Layer.effectDiscard(
    Effect.acquireRelease(
      Effect.sync(() => {
        holders++
        configureSandbox({ workers: config.sandboxWorkers })
      }),
      () => Effect.promise(() => (--holders === 0 ? closeSandbox() : Promise.resolve()))
    )
  )
