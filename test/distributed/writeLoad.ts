import type { ChildProcess } from "node:child_process"
import type { RecordedEvent } from "@machhub/core"

/**
 * Helpers of the fault tests in this folder: a write load of concurrent clients that remember exactly
 * which records the server acknowledged, and a count of the RecordCreated events in a replayed log.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** What one request ended with: an HTTP status, or why there was none. */
export type Outcome =
  | { readonly kind: "status"; readonly status: number; readonly body: string; readonly at: number; readonly ms: number }
  /** The request's own deadline passed: a hang, as far as a caller is concerned. */
  | { readonly kind: "timeout"; readonly at: number; readonly ms: number }
  /** No HTTP answer at all (connection refused or reset: a dead server). */
  | { readonly kind: "network"; readonly message: string; readonly at: number; readonly ms: number }

export interface Acknowledged {
  readonly key: string
  readonly marker: string
  /** The public record id from the 201 answer, `<domain>.<table>:<id>`. */
  readonly id: string
  /** The base URL that acknowledged it. */
  readonly target: string
  readonly at: number
}

export interface WriteLoadOptions {
  /** Base URLs; writer `w` sends to `targets[w % targets.length]`. */
  readonly targets: ReadonlyArray<string>
  readonly token: string
  readonly table: string
  readonly writers: number
  /** Distinguishes this run's keys and markers from any other run's. */
  readonly runId: string
  /** Deadline of each request: past it the request is aborted and counted as a timeout. */
  readonly requestTimeoutMs: number
  /** Pause before retrying a failed request with the same Idempotency-Key. */
  readonly retryDelayMs: number
  /**
   * What a writer does when a request gets no HTTP answer: "retry" (the server should still be
   * there), or "abandon" (it died): the key is left in doubt and the writer stops.
   */
  readonly onNetworkError: "retry" | "abandon"
}

/** How long writers keep retrying their current key after stop(). */
const FINISH_MS = 15_000

/** The body a writer sends for `key`: the same on every retry, as a real client would. */
export const recordBody = (key: string, writer: number, n: number) => ({ marker: key, writer, n, note: "fault-test" })

/** POSTs one record with an Idempotency-Key, bounded by `timeoutMs`; never throws. */
export const postRecord = async (
  target: string,
  token: string,
  table: string,
  key: string,
  body: unknown,
  timeoutMs: number
): Promise<Outcome> => {
  const sent = Date.now()
  try {
    const response = await fetch(`${target}/machhub/${table}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(body),
      // The whole exchange, body included, must finish in time: a server that hangs is a failure.
      signal: AbortSignal.timeout(timeoutMs)
    })
    const text = await response.text()
    const at = Date.now()
    return { kind: "status", status: response.status, body: text, at, ms: at - sent }
  } catch (error) {
    const name = (error as { name?: string }).name
    const at = Date.now()
    if (name === "TimeoutError" || name === "AbortError") return { kind: "timeout", at, ms: at - sent }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    return { kind: "network", message: cause?.code ?? cause?.message ?? String(error), at, ms: at - sent }
  }
}

/**
 * `writers` concurrent clients, each creating records one after the other. A writer retries a failed
 * request with the same Idempotency-Key and body until it is acknowledged (2xx), so every key is
 * either acknowledged, still being retried when the load stops, or left in doubt by a dead server.
 */
export class WriteLoad {
  readonly acknowledged = new Map<string, Acknowledged>()
  /** Keys sent at least once and never acknowledged (the server may or may not have stored them). */
  readonly inDoubt = new Map<string, { readonly writer: number; readonly n: number }>()
  readonly outcomes: Array<Outcome & { readonly key: string; readonly target: string }> = []
  private stopping = false
  private stoppedAt = 0
  private readonly running: Array<Promise<void>> = []

  constructor(private readonly options: WriteLoadOptions) {}

  start(): void {
    this.addWriters(this.options.writers)
  }

  /** Starts `count` more writers (numbered on from the last), e.g. to probe a server mid-fault. */
  addWriters(count: number): void {
    for (let i = 0; i < count; i++) this.running.push(this.writer(this.running.length))
  }

  /** Writers finish (or give up on) their current key and stop; resolves once all have. */
  async stop(): Promise<void> {
    this.stopping = true
    this.stoppedAt = Date.now()
    await Promise.all(this.running)
  }

  /** Acknowledgements so far that arrived after `time` (Date.now()). */
  acknowledgedSince(time: number): number {
    let count = 0
    for (const ack of this.acknowledged.values()) if (ack.at > time) count++
    return count
  }

  /** The longest any request took, per label ("201", "503", ...): shows that nothing waited long. */
  slowest(): Record<string, number> {
    const worst: Record<string, number> = {}
    for (const outcome of this.outcomes) {
      const label = outcome.kind === "status" ? String(outcome.status) : outcome.kind
      worst[label] = Math.max(worst[label] ?? 0, outcome.ms)
    }
    return worst
  }

  /** Status counts (and "timeout"/"network") of every request so far, e.g. { 201: 340, 503: 12 }. */
  tally(filter: (outcome: Outcome) => boolean = () => true): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const outcome of this.outcomes) {
      if (!filter(outcome)) continue
      const label = outcome.kind === "status" ? String(outcome.status) : outcome.kind
      counts[label] = (counts[label] ?? 0) + 1
    }
    return counts
  }

  private async writer(w: number): Promise<void> {
    const { targets, token, table, runId, requestTimeoutMs, retryDelayMs, onNetworkError } = this.options
    const target = targets[w % targets.length]!
    for (let n = 0; !this.stopping; n++) {
      const key = `${runId}-w${w}-${n}`
      const body = recordBody(key, w, n)
      for (;;) {
        this.inDoubt.set(key, { writer: w, n })
        const outcome = await postRecord(target, token, table, key, body, requestTimeoutMs)
        this.outcomes.push({ ...outcome, key, target })
        if (outcome.kind === "status" && outcome.status >= 200 && outcome.status < 300) {
          this.inDoubt.delete(key)
          const id = (JSON.parse(outcome.body) as { id: string }).id
          this.acknowledged.set(key, { key, marker: key, id, target, at: outcome.at })
          break
        }
        if (outcome.kind === "network" && onNetworkError === "abandon") return
        // A retry of an unacknowledged key goes on after stop() too, until the server takes it, so the
        // test ends with as few keys in doubt as possible; bounded by FINISH_MS after stop().
        if (this.stopping && (outcome.kind !== "status" || Date.now() - this.stoppedAt > FINISH_MS)) return
        await sleep(retryDelayMs)
      }
    }
  }
}

/**
 * The RecordCreated events of `table`, grouped by the marker in their body and by record id, from a
 * whole log; `store.readAll` pages through it.
 */
export const createdRecords = (events: ReadonlyArray<RecordedEvent>, table: string) => {
  const byMarker = new Map<string, number>()
  const byId = new Map<string, number>()
  for (const event of events) {
    if (event.type !== "RecordCreated") continue
    const data = event.data as { table: string; id: string; data: { marker?: unknown } }
    if (data.table !== table) continue
    const marker = String(data.data.marker)
    byMarker.set(marker, (byMarker.get(marker) ?? 0) + 1)
    byId.set(data.id, (byId.get(data.id) ?? 0) + 1)
  }
  return { byMarker, byId }
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the last answer. */
export const eventually = async (probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() > deadline) return false
    await sleep(everyMs)
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it has exited. */
export const stopProcess = async (child: ChildProcess, exited: Promise<number | string>, graceMs = 12_000): Promise<number | string> => {
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
  const code = await exited
  clearTimeout(timer)
  return code
}

/** GET with a deadline; never throws (status 0 = no answer). */
export const getStatus = async (url: string, token?: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> => {
  try {
    const response = await fetch(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs)
    })
    return { status: response.status, body: await response.text() }
  } catch (error) {
    return { status: 0, body: String(error) }
  }
}
