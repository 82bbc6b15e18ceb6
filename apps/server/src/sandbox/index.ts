import { SandboxPool, type SandboxPoolOptions } from "./SandboxPool.js"
import type { SandboxOptions, SandboxOutcome } from "./SandboxApi.js"

export * from "./SandboxApi.js"
export { compileCode } from "./compileCode.js"
export { SandboxPool, type SandboxPoolOptions, maxLogLines, maxLogLineChars, maxResultChars } from "./SandboxPool.js"

/**
 * The server's one sandbox pool, started on first use. `configureSandbox` (before the first run)
 * sets its size; `closeSandbox` terminates its workers at shutdown.
 */
let pool: SandboxPool | undefined
let poolOptions: SandboxPoolOptions = {}

export const configureSandbox = (options: SandboxPoolOptions): void => {
  poolOptions = options
}

/** Runs compiled code (from `compileCode`) in a fresh QuickJS sandbox on a worker thread. */
export const runSandboxed = (options: SandboxOptions): Promise<SandboxOutcome> => {
  pool ??= new SandboxPool(poolOptions)
  return pool.run(options)
}

export const closeSandbox = async (): Promise<void> => {
  const closing = pool
  pool = undefined
  await closing?.close()
}
