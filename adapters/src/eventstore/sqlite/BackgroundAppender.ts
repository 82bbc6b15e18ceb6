import type { AppendResult, ExpectedVersion, NewEvent } from "@machhub/core"
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import type { Synchronous } from "./database.js"

/**
 * Appends carrying a lot of binary data (terminal recordings: up to 512 KiB per append) committed by a
 * second connection on a worker thread. Measured on the SSH bench: msgpack-encoding such an append and
 * writing its overflow pages into the WAL took most of the event loop while a terminal streamed, so
 * every socket of the process waited on it; on the worker it runs beside the event loop.
 *
 * One writer at a time still: SQLite's own lock would make the event loop *sleep* in its busy handler
 * while the worker commits, so the two writers share a lock word in shared memory instead. The worker
 * may block on it (it is its own thread); the event loop only tries it and, when the worker holds it,
 * commits its batch once the worker answers (it always answers after releasing). A writer that wants
 * the lock raises a flag the worker honours before taking it again, so a stream of large appends
 * cannot starve the event loop's commits.
 *
 * Each append is checked by the worker exactly as the group commit checks it (expected version, then
 * idempotency on event ids), inside its write transaction, so versions stay gap-free whichever writer
 * takes an append. An append is answered only after its COMMIT: nothing acknowledged is lost.
 */

/** Lock word values. */
const FREE = 0
const LOOP = 1
const WORKER = 2
/** Index of the lock word and of the "event loop is waiting" flag in the shared Int32Array. */
const LOCK = 0
const LOOP_WAITING = 1

export type BackgroundOutcome =
  | { readonly kind: "ok"; readonly result: AppendResult }
  | { readonly kind: "conflict"; readonly actual: number }
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string }

interface Job {
  readonly resolve: (outcome: BackgroundOutcome) => void
}

const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.driver)
const { Packr } = require(workerData.msgpackr)
const packr = new Packr({ useRecords: false })
const lock = new Int32Array(workerData.lock)
const db = new Database(workerData.path)
db.pragma("synchronous = " + workerData.synchronous)
db.pragma("busy_timeout = 2000")
// As on the event loop's connection (database.ts, Checkpointer.ts): SQLite's default would checkpoint
// (copy and fsync) every 4 MiB on this thread, which measured as most of its time.
db.pragma("wal_autocheckpoint = " + workerData.autoCheckpointPages)
db.pragma("journal_size_limit = 67108864")
if (workerData.maxPageCount !== undefined) db.pragma("max_page_count = " + workerData.maxPageCount)
const head = db.prepare("SELECT version, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1")
const findById = db.prepare("SELECT stream, version, position FROM events WHERE id = ?")
const insert = db.prepare("INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, ?, ?, ?, ?, ?)")
const begin = db.prepare("BEGIN IMMEDIATE")
const commit = db.prepare("COMMIT")
const rollback = db.prepare("ROLLBACK")

const matches = (expected, actual) =>
  expected === "any" ? true : expected === "no_stream" ? actual === 0 : expected === "exists" ? actual > 0 : actual === expected

// The same answers as the group commit's replay (appendRequest.ts): a repeat of a committed append.
const replay = (job, first) => {
  const events = job.events
  if (first.stream !== job.stream) return idReused(job, events[0].id, first)
  let last = first
  for (let i = 1; i < events.length; i++) {
    const ref = findById.get(events[i].id)
    if (ref === undefined || ref.stream !== job.stream || ref.version !== first.version + i) {
      return { kind: "invalid", reason: "append to stream " + job.stream + " repeats some event ids of an earlier append but not all of them, in order" }
    }
    last = ref
  }
  return { kind: "ok", result: { version: last.version, firstPosition: first.position, position: last.position, duplicate: true } }
}
const idReused = (job, id, stored) => ({
  kind: "invalid",
  reason: "event id " + id + " (append to stream " + job.stream + ") is already stored as version " + stored.version +
    " of stream " + stored.stream + "; an append must be either entirely new or an exact repeat of an earlier one"
})

const apply = (job, encoded) => {
  const current = head.get(job.stream) ?? { version: 0, position: 0 }
  if (!matches(job.expected, current.version)) {
    const stored = encoded.length > 0 ? findById.get(encoded[0].id) : undefined
    if (stored !== undefined) return replay(job, stored)
    return { kind: "conflict", actual: current.version }
  }
  if (encoded.length === 0) {
    return { kind: "ok", result: { version: current.version, firstPosition: current.position, position: current.position, duplicate: false } }
  }
  let firstPosition = 0
  let position = 0
  try {
    for (let i = 0; i < encoded.length; i++) {
      const e = encoded[i]
      position = Number(insert.run(e.id, job.stream, current.version + 1 + i, e.type, e.data, e.meta).lastInsertRowid)
      if (i === 0) firstPosition = position
    }
  } catch (error) {
    if (!(error && error.code === "SQLITE_CONSTRAINT_UNIQUE" && String(error.message).includes("events.id"))) throw error
    rollback.run()
    begin.run()
    const stored = findById.get(encoded[0].id)
    if (stored !== undefined) return replay(job, stored)
    const clash = encoded.find((e) => findById.get(e.id) !== undefined)
    return idReused(job, clash.id, findById.get(clash.id))
  }
  return { kind: "ok", result: { version: current.version + encoded.length, firstPosition, position, duplicate: false } }
}

const acquire = () => {
  for (;;) {
    // The event loop asked for a turn: let it have the lock first.
    if (Atomics.load(lock, ${LOOP_WAITING}) !== 0) {
      Atomics.wait(lock, ${LOOP_WAITING}, 1, 5)
      continue
    }
    if (Atomics.compareExchange(lock, ${LOCK}, ${FREE}, ${WORKER}) === ${FREE}) return
    Atomics.wait(lock, ${LOCK}, Atomics.load(lock, ${LOCK}), 5)
  }
}
const release = () => {
  Atomics.store(lock, ${LOCK}, ${FREE})
  Atomics.notify(lock, ${LOCK})
}

const run = (job) => {
  let encoded
  try {
    encoded = job.events.map((e) => ({ id: e.id, type: e.type, data: packr.pack(e.data), meta: packr.pack(e.meta) }))
  } catch (error) {
    return { kind: "invalid", reason: "an event of stream " + job.stream + " cannot be encoded: " + String(error) }
  }
  acquire()
  try {
    begin.run()
    let outcome
    try {
      outcome = apply(job, encoded)
    } catch (error) {
      if (db.inTransaction) rollback.run()
      throw error
    }
    if (outcome.kind === "ok") commit.run()
    else rollback.run()
    return outcome
  } catch (error) {
    const code = error && typeof error.code === "string" ? error.code + ": " : ""
    return { kind: "failed", reason: "append to stream " + job.stream + " failed: " + code + (error && error.message ? error.message : String(error)) }
  } finally {
    release()
  }
}

parentPort.on("message", (message) => {
  if (message === "stop") {
    db.close()
    parentPort.close()
    return
  }
  parentPort.postMessage({ id: message.id, outcome: run(message) })
})
`

export interface BackgroundAppenderOptions {
  readonly path: string
  readonly synchronous: Synchronous
  readonly maxPageCount?: number | undefined
  /** The same backstop the event loop's connection has. */
  readonly autoCheckpointPages: number
  /** Called on the event loop after each job the worker finished (committed or not). */
  readonly onSettled: () => void
}

export class BackgroundAppender {
  private readonly worker: Worker
  private readonly lock = new Int32Array(new SharedArrayBuffer(8))
  private readonly jobs = new Map<number, Job>()
  private nextId = 1
  private dead = false
  private stopped: Promise<void> | undefined

  constructor(private readonly options: BackgroundAppenderOptions) {
    const require = createRequire(import.meta.url)
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        driver: require.resolve("better-sqlite3"),
        msgpackr: require.resolve("msgpackr"),
        path: options.path,
        synchronous: options.synchronous === "full" ? "FULL" : "NORMAL",
        maxPageCount: options.maxPageCount,
        autoCheckpointPages: options.autoCheckpointPages,
        lock: this.lock.buffer
      }
    })
    // Only jobs in flight keep the process alive (see append).
    this.worker.unref()
    this.worker.on("message", (message: { readonly id: number; readonly outcome: BackgroundOutcome }) => {
      const job = this.jobs.get(message.id)
      this.jobs.delete(message.id)
      if (this.jobs.size === 0) this.worker.unref()
      job?.resolve(message.outcome)
      this.options.onSettled()
    })
    this.worker.on("error", () => {})
    this.worker.once("exit", () => this.died())
  }

  /** False once the worker is gone: appends then take the event loop's path. */
  get available(): boolean {
    return !this.dead && this.stopped === undefined
  }

  append(stream: string, expected: ExpectedVersion, events: ReadonlyArray<NewEvent>): Promise<BackgroundOutcome> {
    return new Promise((resolve) => {
      const id = this.nextId++
      this.jobs.set(id, { resolve })
      this.worker.ref()
      try {
        this.worker.postMessage({ id, stream, expected, events })
      } catch (error) {
        // Not cloneable (a function in the data, say): the same answer an encoding failure gets.
        this.jobs.delete(id)
        resolve({ kind: "invalid", reason: `an event of stream ${stream} cannot be encoded: ${String(error)}` })
      }
    })
  }

  /** For the event loop's writer: takes the lock if free; else asks the worker for the next turn. */
  tryAcquire(): boolean {
    if (this.dead) return true
    if (Atomics.compareExchange(this.lock, LOCK, FREE, LOOP) === FREE) {
      Atomics.store(this.lock, LOOP_WAITING, 0)
      return true
    }
    Atomics.store(this.lock, LOOP_WAITING, 1)
    return false
  }

  /** Blocks until the lock is free (shutdown only: the worker holds it for one transaction at most). */
  acquireBlocking(): void {
    while (!this.tryAcquire()) Atomics.wait(this.lock, LOCK, WORKER, 50)
  }

  release(): void {
    if (this.dead) return
    Atomics.store(this.lock, LOCK, FREE)
    Atomics.store(this.lock, LOOP_WAITING, 0)
    Atomics.notify(this.lock, LOOP_WAITING)
    Atomics.notify(this.lock, LOCK)
  }

  /** Waits for the jobs in flight, then closes the worker's connection. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.dead) return resolve()
      this.worker.ref()
      this.worker.once("exit", () => resolve())
      const ask = () => {
        if (this.jobs.size > 0) return void setTimeout(ask, 5)
        this.worker.postMessage("stop")
        setTimeout(() => void this.worker.terminate(), 5000).unref()
      }
      ask()
    })
    return this.stopped
  }

  private died(): void {
    this.dead = true
    // A worker that died mid-transaction took its uncommitted transaction with it; the lock is free.
    Atomics.store(this.lock, LOCK, FREE)
    Atomics.store(this.lock, LOOP_WAITING, 0)
    const jobs = [...this.jobs.values()]
    this.jobs.clear()
    for (const job of jobs) job.resolve({ kind: "failed", reason: "the SQLite background writer stopped" })
    if (jobs.length > 0) this.options.onSettled()
  }
}
