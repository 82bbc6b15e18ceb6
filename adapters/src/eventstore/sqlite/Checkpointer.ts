import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import type { Synchronous } from "./database.js"

/**
 * Background WAL checkpointing on a worker thread.
 *
 * Measured: with SQLite's automatic checkpoint, the writing thread spent ~20% of its CPU copying WAL
 * frames into the database file and another ~30% of wall time blocked in the checkpoint's fsyncs (the
 * appends are bound by the one JS thread that runs every transaction). A second connection on a worker
 * checkpoints (PASSIVE: never blocks the writer) on the other core instead. The writer keeps a larger
 * automatic checkpoint as a backstop: it only has to copy what the worker has not copied yet, and it
 * is what lets the WAL restart from its beginning under continuous load (a checkpoint running alongside
 * the writer never quite catches up with it).
 *
 * If the worker cannot start or dies, nothing breaks: the backstop checkpoint keeps the WAL bounded.
 */
export const backgroundCheckpointIntervalMs = 10
/** Backstop for the writer's automatic checkpoint when the worker runs (pages; 8000 × 4 KiB ≈ 32 MiB). */
export const backstopCheckpointPages = 8000

const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.driver)
const db = new Database(workerData.path)
db.pragma("synchronous = " + workerData.synchronous)
let timer
const checkpoint = () => {
  try { db.pragma("wal_checkpoint(PASSIVE)") } catch {}
  timer = setTimeout(checkpoint, workerData.intervalMs)
}
timer = setTimeout(checkpoint, workerData.intervalMs)
parentPort.once("message", () => {
  clearTimeout(timer)
  db.close()
  parentPort.close()
})
`

export class Checkpointer {
  private readonly worker: Worker
  private exited = false

  constructor(path: string, synchronous: Synchronous) {
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        path,
        synchronous: synchronous === "full" ? "FULL" : "NORMAL",
        intervalMs: backgroundCheckpointIntervalMs
      }
    })
    // A store the application forgot to close must not keep the process alive.
    this.worker.unref()
    // Without a listener a worker error would crash the process; the backstop checkpoint covers it.
    this.worker.on("error", () => {})
    this.worker.once("exit", () => {
      this.exited = true
    })
  }

  /** Asks the worker to close its connection and waits until it has (terminating it if it hangs). */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve()
    return new Promise((resolve) => {
      this.worker.once("exit", () => resolve())
      // Referenced again while stopping: otherwise a process with nothing else to do would exit in the
      // middle of the close, before the worker's connection is closed.
      this.worker.ref()
      this.worker.postMessage("stop")
      setTimeout(() => void this.worker.terminate(), 2000).unref()
    })
  }
}
