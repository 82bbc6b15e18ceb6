import { Cause, Effect, Exit, Schedule } from "effect"
import type { ActorRef, NewEvent } from "../eventstore/EventEnvelope.js"
import type { EventStoreService } from "../eventstore/EventStore.js"
import { uuidv7 } from "../ids/uuid.js"
import type { TerminalCloser, TerminalEvent, TerminalOpened } from "./TerminalEvents.js"

/**
 * Records one terminal session as events on its own stream, without ever making the terminal wait
 * for the store: calls only queue, and one append is in flight at a time. A batch goes out once
 * `maxBatchBytes` are queued, or `flushDelayMillis` after the first queued event, and whatever arrives
 * while an append is in flight forms the next batch (the store commits it in one transaction); output
 * chunks queued back to back merge into one event up to `maxEventBytes`. So a burst of output costs a
 * few large appends, and typing costs one small append per delay rather than one commit (with the
 * read models and publisher it wakes) per keystroke, which would compete with the echo for the event
 * loop. The delay applies to the recording only: terminal bytes are forwarded at once, elsewhere.
 *
 * The queue is bounded by the caller, not here: `pendingBytes` says how much is accepted but not yet
 * stored, and the terminal bridge pauses the machine's output while it is high (the same way it
 * does for a slow socket), so memory stays bounded even when the store is slower than the machine.
 */
export interface TerminalRecorder {
  /** The first event of the stream. */
  opened(data: TerminalOpened["data"]): void
  input(bytes: Uint8Array): void
  output(bytes: Uint8Array): void
  resized(cols: number, rows: number): void
  /** Records the close; resolves once everything before it is stored, or recording has failed. */
  close(by: TerminalCloser, reason: string): Promise<void>
  /** Bytes accepted but not yet stored. */
  pendingBytes(): number
  /** Called after every stored batch, so a terminal paused for the recording can resume. */
  onStored(listener: () => void): void
}

export interface TerminalRecorderOptions {
  readonly store: EventStoreService
  readonly stream: string
  readonly domain: string
  readonly actor: ActorRef
  readonly correlationId: string
  /** Largest merged output event (default 256 KiB). */
  readonly maxEventBytes?: number
  /** Largest batch per append (default 512 KiB): better-sqlite3 writes on the event loop, so a batch
   *  is a pause for every socket of the process; small batches keep each pause short. On JetStream an
   *  append is one message, and 512 KiB plus the events' envelopes stays under NATS's default 1 MB
   *  max_payload. */
  readonly maxBatchBytes?: number
  /** How long a small batch may wait for more events (default 10 ms). */
  readonly flushDelayMillis?: number
  /** Called once if the recording cannot be stored: an unrecorded session must not go on. */
  readonly onFailure?: (message: string) => void
  /** Monotonic milliseconds (default `performance.now`). */
  readonly clock?: () => number
  readonly wallClock?: () => number
}

interface Queued {
  readonly type: TerminalEvent["type"]
  readonly t: number
  /** Raw byte chunks (input/output), merged when the event is encoded. */
  readonly chunks: Array<Uint8Array> | undefined
  readonly fields: Record<string, unknown> | undefined
  bytes: number
}

const MAX_BATCH_EVENTS = 512
/** Metadata-sized events still count, so a flood of resizes cannot queue for free. */
const EVENT_OVERHEAD = 64

/**
 * Merges an event's chunks into memory shared between threads: a store that writes on a worker thread
 * (the SQLite adapter does, for binary data) then hands the bytes over without copying them again.
 */
const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(new SharedArrayBuffer(size))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

export const makeTerminalRecorder = (options: TerminalRecorderOptions): TerminalRecorder => {
  const clock = options.clock ?? (() => performance.now())
  const wallClock = options.wallClock ?? Date.now
  const maxEventBytes = options.maxEventBytes ?? 256 * 1024
  const maxBatchBytes = options.maxBatchBytes ?? 512 * 1024
  const flushDelayMillis = options.flushDelayMillis ?? 10
  const startedAt = clock()
  const startedWall = wallClock()
  const queue: Array<Queued> = []
  const storedListeners: Array<() => void> = []
  let drainedWaiters: Array<() => void> = []
  let version = 0
  let pending = 0
  let inFlight = false
  let closed = false
  let failed = false
  let timer: ReturnType<typeof setTimeout> | undefined

  const offset = () => Math.round((clock() - startedAt) * 1000) / 1000

  const settleWaiters = () => {
    if ((queue.length > 0 || inFlight) && !failed) return
    const waiters = drainedWaiters
    drainedWaiters = []
    for (const resolve of waiters) resolve()
  }

  const fail = (message: string) => {
    if (failed) return
    failed = true
    clearTimeout(timer)
    queue.length = 0
    pending = 0
    options.onFailure?.(message)
    for (const listener of storedListeners) listener()
    settleWaiters()
  }

  const toEvent = (entry: Queued): NewEvent => {
    const wall = startedWall + entry.t
    const data = entry.chunks === undefined
      ? entry.fields
      : { t: entry.t, data: entry.chunks.length === 1 ? entry.chunks[0]! : concat(entry.chunks, entry.bytes - EVENT_OVERHEAD) }
    return {
      id: uuidv7(wall),
      type: entry.type,
      data,
      meta: {
        domain: options.domain,
        actor: options.actor,
        correlationId: options.correlationId,
        causationId: null,
        commandId: null,
        at: new Date(wall).toISOString()
      }
    }
  }

  // Appends are idempotent on event ids, so retrying a batch after an outage cannot duplicate it.
  const append = (events: ReadonlyArray<NewEvent>) =>
    options.store.append(options.stream, version, events).pipe(
      Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50, while: (error) => error._tag === "EventStoreUnavailable" })
    )

  /** Sends a batch now when it is full (or the session closed), else once the delay has passed. */
  const schedule = (): void => {
    if (inFlight || failed || queue.length === 0) return
    if (pending >= maxBatchBytes || closed) return flush()
    timer ??= setTimeout(flush, flushDelayMillis)
  }

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    if (inFlight || failed || queue.length === 0) return
    let count = 0
    let bytes = 0
    while (count < queue.length && count < MAX_BATCH_EVENTS && (count === 0 || bytes + queue[count]!.bytes <= maxBatchBytes)) {
      bytes += queue[count]!.bytes
      count++
    }
    const batch = queue.splice(0, count)
    inFlight = true
    Effect.runCallback(append(batch.map(toEvent)), {
      onExit: (exit) => {
        inFlight = false
        if (Exit.isFailure(exit)) return fail(`recording ${options.stream} failed: ${Cause.pretty(exit.cause).split("\n")[0]}`)
        version = exit.value.version
        pending -= bytes
        schedule()
        for (const listener of storedListeners) listener()
        settleWaiters()
      }
    })
  }

  const enqueue = (type: TerminalEvent["type"], fields: Record<string, unknown> | undefined, chunk?: Uint8Array) => {
    if (closed || failed) return
    const t = offset()
    const size = chunk === undefined ? EVENT_OVERHEAD : chunk.byteLength + EVENT_OVERHEAD
    const last = queue[queue.length - 1]
    // Queued entries are never in flight (a batch leaves the queue when its append starts), so the
    // last one may still grow.
    if (chunk !== undefined && last !== undefined && last.type === type && last.bytes + chunk.byteLength <= maxEventBytes) {
      last.chunks!.push(chunk)
      last.bytes += chunk.byteLength
      pending += chunk.byteLength
    } else {
      queue.push({ type, t, chunks: chunk === undefined ? undefined : [chunk], fields: fields === undefined ? undefined : { t, ...fields }, bytes: size })
      pending += size
    }
    schedule()
  }

  return {
    opened: (data) => {
      if (closed || failed || version !== 0 || queue.length > 0 || inFlight) return
      queue.push({ type: "TerminalOpened", t: 0, chunks: undefined, fields: { ...data }, bytes: EVENT_OVERHEAD })
      pending += EVENT_OVERHEAD
      schedule()
    },
    input: (bytes) => enqueue("TerminalInput", undefined, bytes),
    output: (bytes) => enqueue("TerminalOutput", undefined, bytes),
    resized: (cols, rows) => enqueue("TerminalResized", { cols, rows }),
    close: (by, reason) => {
      enqueue("TerminalClosed", { by, reason })
      closed = true
      schedule()
      return new Promise<void>((resolve) => {
        drainedWaiters.push(resolve)
        settleWaiters()
      })
    },
    pendingBytes: () => pending,
    onStored: (listener) => {
      storedListeners.push(listener)
    }
  }
}
