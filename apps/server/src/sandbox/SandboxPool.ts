import { createRequire } from "node:module"
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { guestPrelude } from "./guestPrelude.js"
import { answerHostCall } from "./hostCalls.js"
import { defaultSandboxLimits, type LogLevel, type LogLine, type SandboxOptions, type SandboxOutcome } from "./SandboxApi.js"
import { workerSource } from "./workerSource.js"

/**
 * Sandboxed runs happen on a bounded pool of worker threads, one run per worker at a time. Code that
 * loops until its CPU limit runs for seconds; on the main thread that would stall every request of
 * the server for as long, so the QuickJS interpreter never runs there: the main thread only answers
 * host calls and collects log lines. Runs beyond the pool's size wait in a bounded queue.
 *
 * A worker that breaks (a runtime that could not be disposed, a wall-clock overrun, an exit) is
 * terminated and replaced; the run it had fails with the reason.
 */
export interface SandboxPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly workers?: number
  /** Runs waiting for a worker before new ones are refused (default 1,000). */
  readonly maxQueued?: number
}

/**
 * The WebAssembly memory QuickJS starts with (the build's initial memory: its static data, stack and
 * the runtime itself); a run's memory limit is what it may allocate beyond this.
 */
const baseMemoryBytes = 16 * 1024 * 1024
/** QuickJS's own stack limit: deep recursion fails the run instead of overflowing the worker. */
const maxStackBytes = 1024 * 1024
/** Log lines kept per run, and characters per line: a chatty loop cannot flood the run log. */
export const maxLogLines = 1_000
export const maxLogLineChars = 4_096
/** The largest result, as JSON text: results are recorded with the run. */
export const maxResultChars = 16 * 1024 * 1024
/** Host calls one run may have waiting at once (code that fires calls without awaiting them). */
const maxCallsInFlight = 64
/** Wall-clock slack beyond the CPU limit for host calls, when the run sets none. */
const defaultWallSlackMillis = 30_000
/**
 * QuickJS checks for interrupts on loop jumps and calls, not inside one built-in: a loop of a few
 * long built-in calls (filling huge arrays) can overrun the CPU limit. The main thread stops such a
 * worker once the time it spent without a host call waiting passes the limit by this much.
 */
const cpuBackstopSlackMillis = 1_000

interface Job {
  readonly options: SandboxOptions
  readonly contextJson: string
  readonly resolve: (outcome: SandboxOutcome) => void
}

interface ActiveRun {
  readonly job: Job
  readonly runId: number
  readonly logs: Array<LogLine>
  timer: NodeJS.Timeout
  readonly startedAt: number
  /** Host calls being answered, and the time spent with at least one waiting (not guest CPU time). */
  callsWaiting: number
  waitingSince: number
  waitedMillis: number
}

interface Slot {
  worker: Worker
  ready: boolean
  active: ActiveRun | undefined
}

export class SandboxPool {
  private readonly size: number
  private readonly maxQueued: number
  private readonly slots: Array<Slot> = []
  private readonly queue: Array<Job> = []
  private nextRunId = 1
  private closed = false

  constructor(options: SandboxPoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? availableParallelism())
    this.maxQueued = options.maxQueued ?? 1_000
  }

  run(options: SandboxOptions): Promise<SandboxOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, reason: "the sandbox is shut down", logs: [] })
    let contextJson: string | undefined
    try {
      contextJson = JSON.stringify(options.context ?? null)
    } catch (error) {
      return Promise.resolve({ ok: false, reason: `the context is not JSON: ${(error as Error).message}`, logs: [] })
    }
    if (contextJson === undefined) return Promise.resolve({ ok: false, reason: "the context is not JSON", logs: [] })
    if (this.queue.length >= this.maxQueued) {
      return Promise.resolve({ ok: false, reason: `the sandbox is busy (${this.queue.length} runs waiting)`, logs: [] })
    }
    return new Promise((resolve) => {
      this.queue.push({ options, contextJson: contextJson!, resolve })
      this.dispatch()
    })
  }

  /** Terminates every worker; runs in progress or waiting fail. */
  async close(): Promise<void> {
    this.closed = true
    for (const job of this.queue.splice(0)) job.resolve({ ok: false, reason: "the sandbox is shut down", logs: [] })
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        this.fail(slot, "the sandbox is shut down")
        return slot.worker.terminate()
      })
    )
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.slots.find((candidate) => candidate.ready && candidate.active === undefined)
      if (slot !== undefined) {
        this.start(slot, this.queue.shift()!)
        continue
      }
      // Workers still starting take waiting runs once ready; start more while the pool has room.
      const starting = this.slots.filter((candidate) => candidate.active === undefined).length
      if (this.slots.length >= this.size || starting >= this.queue.length) return
      this.slots.push(this.spawn())
    }
  }

  private spawn(): Slot {
    const require = createRequire(import.meta.url)
    const quickjs = require.resolve("quickjs-emscripten")
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        quickjs,
        // The WebAssembly file of the variant quickjs-emscripten itself depends on.
        wasm: createRequire(quickjs).resolve("@jitl/quickjs-wasmfile-release-sync/wasm"),
        baseMemoryBytes,
        defaultMemoryBytes: defaultSandboxLimits.memoryBytes,
        guestPrelude,
        maxStackBytes,
        maxLogLines,
        maxLogLineChars,
        maxCallsInFlight,
        maxResultChars
      }
    })
    const slot: Slot = { worker, ready: false, active: undefined }
    // An idle pool must not keep the process alive; a worker with a run is referenced again.
    worker.unref()
    worker.on("message", (message: WorkerMessage) => this.onMessage(slot, message))
    worker.on("error", (error) => this.replace(slot, `the sandbox stopped: ${error.message}`))
    worker.on("exit", () => this.replace(slot, "the sandbox stopped"))
    return slot
  }

  private start(slot: Slot, job: Job): void {
    const runId = this.nextRunId++
    const { limits } = job.options
    const wallMillis = limits.wallMillis ?? limits.cpuMillis + defaultWallSlackMillis
    const startedAt = performance.now()
    const active: ActiveRun = {
      job,
      runId,
      logs: [],
      startedAt,
      callsWaiting: 0,
      waitingSince: 0,
      waitedMillis: 0,
      timer: setTimeout(() => {}, 0)
    }
    const watch = (): void => {
      if (slot.active !== active) return
      const now = performance.now()
      if (now - startedAt >= wallMillis) {
        this.replace(slot, `time limit exceeded (${wallMillis} ms of wall-clock time)`)
        return
      }
      const waited = active.waitedMillis + (active.callsWaiting > 0 ? now - active.waitingSince : 0)
      const running = now - startedAt - waited
      const cpuDeadline = limits.cpuMillis + cpuBackstopSlackMillis
      if (running >= cpuDeadline) {
        this.replace(slot, `CPU time limit exceeded (${limits.cpuMillis} ms)`)
        return
      }
      active.timer = setTimeout(watch, Math.min(cpuDeadline - running, wallMillis - (now - startedAt)) + 1)
    }
    clearTimeout(active.timer)
    active.timer = setTimeout(watch, Math.min(limits.cpuMillis + cpuBackstopSlackMillis, wallMillis) + 1)
    slot.active = active
    slot.worker.ref()
    slot.worker.postMessage({
      type: "run",
      runId,
      js: job.options.js,
      contextJson: job.contextJson,
      limits: { memoryBytes: limits.memoryBytes, cpuMillis: limits.cpuMillis }
    })
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case "ready":
        slot.ready = true
        this.dispatch()
        return
      case "startFailed":
        this.replace(slot, `the sandbox could not start: ${message.message}`)
        return
    }
    const active = slot.active
    if (active === undefined || message.runId !== active.runId) return
    switch (message.type) {
      case "log": {
        const line: LogLine = { level: message.level, message: message.message, at: message.at }
        active.logs.push(line)
        try {
          active.job.options.host.log(line.level, line.message)
        } catch {
          // The host's own log sink failing is no reason to fail the run.
        }
        return
      }
      case "call":
        if (active.callsWaiting++ === 0) active.waitingSince = performance.now()
        answerHostCall(active.job.options.host, message.name, message.args).then(
          (json) => this.reply(slot, active, { callId: message.callId, ok: true, json }),
          (error: unknown) =>
            this.reply(slot, active, {
              callId: message.callId,
              ok: false,
              message: error instanceof Error ? error.message : String(error)
            })
        )
        return
      case "done": {
        if (message.logsDropped > 0) {
          active.logs.push({
            level: "warn",
            message: `${message.logsDropped} more log lines dropped (at most ${maxLogLines} per run)`,
            at: Date.now()
          })
        }
        const outcome = message.ok ? resultOutcome(message.resultJson, active.logs) : { ok: false as const, reason: message.reason, logs: active.logs }
        if (message.recycle) this.replace(slot, outcome)
        else this.settle(slot, outcome)
        return
      }
    }
  }

  private reply(slot: Slot, active: ActiveRun, answer: { callId: number; ok: boolean; json?: string; message?: string }): void {
    if (slot.active !== active) return
    if (--active.callsWaiting === 0) active.waitedMillis += performance.now() - active.waitingSince
    slot.worker.postMessage({ type: "reply", runId: active.runId, ...answer })
  }

  private settle(slot: Slot, outcome: SandboxOutcome): void {
    const active = slot.active
    if (active === undefined) return
    slot.active = undefined
    clearTimeout(active.timer)
    slot.worker.unref()
    active.job.resolve(outcome)
    this.dispatch()
  }

  private fail(slot: Slot, reason: string): void {
    const active = slot.active
    if (active !== undefined) this.settle(slot, { ok: false, reason, logs: active.logs })
  }

  /**
   * Ends the worker's run (if any) with the outcome (or a failure for the reason), terminates the
   * worker and starts the next runs on the others or a new one.
   */
  private replace(slot: Slot, ending: string | SandboxOutcome): void {
    const index = this.slots.indexOf(slot)
    if (index === -1) return
    this.slots.splice(index, 1)
    slot.worker.removeAllListeners("exit")
    slot.worker.on("exit", () => {})
    void slot.worker.terminate()
    const active = slot.active
    slot.active = undefined
    if (active !== undefined) {
      clearTimeout(active.timer)
      active.job.resolve(typeof ending === "string" ? { ok: false, reason: ending, logs: active.logs } : ending)
    }
    if (!this.closed) this.dispatch()
  }
}

const resultOutcome = (json: string, logs: ReadonlyArray<LogLine>): SandboxOutcome => {
  try {
    return { ok: true, result: JSON.parse(json), logs }
  } catch {
    return { ok: false, reason: "the result is not JSON", logs }
  }
}

type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "startFailed"; readonly message: string }
  | { readonly type: "log"; readonly runId: number; readonly level: LogLevel; readonly message: string; readonly at: number }
  | { readonly type: "call"; readonly runId: number; readonly callId: number; readonly name: string; readonly args: string }
  | ({ readonly type: "done"; readonly runId: number; readonly logsDropped: number; readonly recycle: boolean } & (
      | { readonly ok: true; readonly resultJson: string }
      | { readonly ok: false; readonly reason: string }
    ))
