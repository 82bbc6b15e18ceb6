import type { RecordedEvent } from "@machhub/core"
import type Database from "better-sqlite3"
import { Effect } from "effect"
import { type AppendOutcome, type AppendRequest, applyAppend } from "./appendRequest.js"
import { unavailable } from "./failures.js"
import type { Statements } from "./statements.js"
import { type BatchHeads, StreamHeadCache } from "./StreamHeads.js"

/** An append waiting for the next batch. */
export interface PendingAppend {
  readonly request: AppendRequest
  readonly resume: (outcome: AppendOutcome) => void
  /** Set when the caller was interrupted before its batch ran: it is then skipped. */
  cancelled: boolean
}

export interface GroupCommitStats {
  /** Committed write transactions. */
  readonly transactions: number
  /** Append requests answered by a committed transaction (including duplicates and conflicts). */
  readonly appends: number
}

/** The write lock shared with a second writer (BackgroundAppender), when there is one. */
export interface WriteLock {
  /** Takes the lock if free; if not, the holder calls {@link GroupCommit.lockReleased} when done. */
  tryAcquire(): boolean
  /** Waits for the lock (shutdown only). */
  acquireBlocking(): void
  release(): void
}

/**
 * Bounds one transaction so a burst of appends cannot stall the event loop (and readers) for long;
 * whatever is left is committed in the next turn of the event loop.
 */
const maxRequestsPerBatch = 2048
const maxEventsPerBatch = 16_384

/**
 * Group commit. Appends arriving in the same turn of the event loop are queued and committed together in
 * ONE SQLite transaction, scheduled with setImmediate, i.e. after the fibers that are runnable now have
 * had their chance to enqueue. A commit (and in "full" mode its fsync) is the expensive part of an
 * append; sharing it is what makes many concurrent appenders fast.
 *
 * Each request in a batch is checked on its own (see applyAppend), so a version conflict fails only that
 * request. Callers are answered only after their batch has committed.
 */
export class GroupCommit {
  private queue: Array<PendingAppend> = []
  private scheduled: NodeJS.Immediate | undefined = undefined
  private readonly runBatch: (batch: ReadonlyArray<PendingAppend>) => {
    readonly outcomes: Array<AppendOutcome>
    readonly heads: BatchHeads
    readonly recorded: ReadonlyArray<RecordedEvent>
  }
  private readonly heads = new StreamHeadCache()
  private transactions = 0
  private appends = 0
  private writeLock: WriteLock | undefined = undefined
  private waitingForLock = false

  constructor(
    db: Database.Database,
    statements: Statements,
    /** Called after each committed transaction with the events it recorded (wakes live subscribers). */
    private readonly onCommit: (recorded: ReadonlyArray<RecordedEvent>) => void
  ) {
    // IMMEDIATE takes the write lock at BEGIN, so the transaction cannot fail half-way with SQLITE_BUSY
    // when it first writes.
    this.runBatch = db.transaction((batch: ReadonlyArray<PendingAppend>) => {
      const heads = this.heads.beginBatch(statements.dataVersion(), statements.streamHead)
      const recorded: Array<RecordedEvent> = []
      return { outcomes: batch.map((pending) => applyAppend(statements, heads, pending.request, recorded)), heads, recorded }
    }).immediate
  }

  /** From now on, every batch first takes `lock` (another connection writes too). */
  shareWriteLock(lock: WriteLock): void {
    this.writeLock = lock
  }

  /** The other writer released the lock: a batch that found it taken runs now. */
  lockReleased(): void {
    if (!this.waitingForLock) return
    this.waitingForLock = false
    this.scheduled ??= setImmediate(this.onImmediate)
  }

  get stats(): GroupCommitStats {
    return { transactions: this.transactions, appends: this.appends }
  }

  submit(request: AppendRequest, resume: (outcome: AppendOutcome) => void): PendingAppend {
    const pending: PendingAppend = { request, resume, cancelled: false }
    this.queue.push(pending)
    if (this.scheduled === undefined) this.scheduled = setImmediate(this.onImmediate)
    return pending
  }

  /**
   * Commits what is queued at this moment, now (graceful shutdown). Only that: callers are resumed
   * synchronously and may queue more appends at once, which the next turn of the event loop commits.
   */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled)
      this.scheduled = undefined
    }
    let pending = this.queue
    this.queue = []
    if (pending.length === 0) return
    this.writeLock?.acquireBlocking()
    try {
      while (pending.length > 0) pending = this.commitNextBatch(pending)
    } finally {
      this.writeLock?.release()
    }
  }

  private readonly onImmediate = (): void => {
    this.scheduled = undefined
    if (this.writeLock !== undefined && !this.writeLock.tryAcquire()) {
      // The event loop must not sleep on SQLite's lock: the batch waits for lockReleased.
      this.waitingForLock = true
      return
    }
    let rest: Array<PendingAppend>
    try {
      rest = this.commitNextBatch(this.queue.splice(0))
    } finally {
      this.writeLock?.release()
    }
    // What did not fit in this batch goes first; what resumed callers queued meanwhile follows.
    if (rest.length > 0) this.queue = rest.concat(this.queue)
    if (this.queue.length > 0 && this.scheduled === undefined) this.scheduled = setImmediate(this.onImmediate)
  }

  /** Commits one batch from the head of `pending`; returns the requests that did not fit. */
  private commitNextBatch(pending: Array<PendingAppend>): Array<PendingAppend> {
    const { batch, rest } = takeBatch(pending)
    if (batch.length === 0) return rest
    let outcomes: Array<AppendOutcome>
    let recorded: ReadonlyArray<RecordedEvent>
    try {
      const ran = this.runBatch(batch)
      ran.heads.committed()
      outcomes = ran.outcomes
      recorded = ran.recorded
    } catch {
      // Something failed below the per-request checks (disk full, an oversized blob, a closed database).
      // Retry each request in its own transaction so that one bad request cannot fail the others.
      this.commitOneByOne(batch)
      return rest
    }
    this.committed(1, batch.length, recorded)
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
    return rest
  }

  private commitOneByOne(batch: ReadonlyArray<PendingAppend>): void {
    const outcomes: Array<AppendOutcome> = []
    const recorded: Array<RecordedEvent> = []
    let committed = 0
    for (const pending of batch) {
      try {
        const ran = this.runBatch([pending])
        ran.heads.committed()
        outcomes.push(ran.outcomes[0]!)
        recorded.push(...ran.recorded)
        committed++
      } catch (error) {
        outcomes.push(Effect.fail(unavailable(`append to stream ${pending.request.stream} failed`, error)))
      }
    }
    if (committed > 0) this.committed(committed, committed, recorded)
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
  }

  private committed(transactions: number, appends: number, recorded: ReadonlyArray<RecordedEvent>): void {
    this.transactions += transactions
    this.appends += appends
    this.onCommit(recorded)
  }
}

/** Splits off the next batch (skipping interrupted callers), within the per-transaction bounds. */
const takeBatch = (
  pending: Array<PendingAppend>
): { readonly batch: Array<PendingAppend>; readonly rest: Array<PendingAppend> } => {
  const batch: Array<PendingAppend> = []
  let events = 0
  let taken = 0
  while (taken < pending.length && batch.length < maxRequestsPerBatch && events < maxEventsPerBatch) {
    const next = pending[taken++]!
    if (next.cancelled) continue
    batch.push(next)
    events += next.request.events.length
  }
  return { batch, rest: taken === pending.length ? [] : pending.slice(taken) }
}
