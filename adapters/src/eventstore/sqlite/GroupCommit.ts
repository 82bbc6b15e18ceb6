import type Database from "better-sqlite3"
import { Effect } from "effect"
import { type AppendOutcome, type AppendRequest, applyAppend } from "./appendRequest.js"
import { unavailable } from "./failures.js"
import type { Statements } from "./statements.js"

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
  private readonly runBatch: (batch: ReadonlyArray<PendingAppend>) => Array<AppendOutcome>
  private transactions = 0
  private appends = 0

  constructor(
    db: Database.Database,
    statements: Statements,
    /** Called after each committed transaction (wakes live subscribers). */
    private readonly onCommit: () => void
  ) {
    // IMMEDIATE takes the write lock at BEGIN, so the transaction cannot fail half-way with SQLITE_BUSY
    // when it first writes.
    this.runBatch = db.transaction((batch: ReadonlyArray<PendingAppend>) =>
      batch.map((pending) => applyAppend(statements, pending.request))
    ).immediate
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

  /** Commits everything queued, now (graceful shutdown). */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled)
      this.scheduled = undefined
    }
    while (this.queue.length > 0) this.commitNextBatch()
  }

  private readonly onImmediate = (): void => {
    this.scheduled = undefined
    this.commitNextBatch()
    if (this.queue.length > 0) this.scheduled = setImmediate(this.onImmediate)
  }

  private commitNextBatch(): void {
    const batch = this.takeBatch()
    if (batch.length === 0) return
    let outcomes: Array<AppendOutcome>
    try {
      outcomes = this.runBatch(batch)
    } catch {
      // Something failed below the per-request checks (disk full, an oversized blob, a closed database).
      // Retry each request in its own transaction so that one bad request cannot fail the others.
      return this.commitOneByOne(batch)
    }
    this.committed(1, batch.length)
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
  }

  private commitOneByOne(batch: ReadonlyArray<PendingAppend>): void {
    const outcomes: Array<AppendOutcome> = []
    let committed = 0
    for (const pending of batch) {
      try {
        outcomes.push(this.runBatch([pending])[0]!)
        committed++
      } catch (error) {
        outcomes.push(Effect.fail(unavailable(`append to stream ${pending.request.stream} failed`, error)))
      }
    }
    if (committed > 0) this.committed(committed, committed)
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
  }

  private committed(transactions: number, appends: number): void {
    this.transactions += transactions
    this.appends += appends
    this.onCommit()
  }

  private takeBatch(): Array<PendingAppend> {
    const batch: Array<PendingAppend> = []
    let events = 0
    let taken = 0
    while (taken < this.queue.length && batch.length < maxRequestsPerBatch && events < maxEventsPerBatch) {
      const pending = this.queue[taken++]!
      if (pending.cancelled) continue
      batch.push(pending)
      events += pending.request.events.length
    }
    this.queue = taken === this.queue.length ? [] : this.queue.slice(taken)
    return batch
  }
}
