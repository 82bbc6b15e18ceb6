import { Effect } from "effect"

/**
 * Tells live subscribers that something was committed. It is a generation counter rather than a
 * promise replaced per commit: a subscriber reads `generation` BEFORE reading a page and, if the page
 * was empty, waits for a commit after that generation. A commit that lands between the capture and the
 * wait is therefore never missed (the wait returns at once), and an interrupted waiter just removes its
 * callback instead of leaving a continuation on a promise that may never settle.
 */
export class CommitSignal {
  private current = 0
  private waiters = new Set<() => void>()
  private closed = false

  get generation(): number {
    return this.current
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Called after every committed transaction. */
  notify(): void {
    this.current++
    this.wake()
  }

  /** The store is closing: wake everybody so that subscriptions can end instead of hanging. */
  close(): void {
    this.closed = true
    this.wake()
  }

  /** Completes once there was a commit after generation `seen`, or the store closed. */
  awaitCommitAfter(seen: number): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.current !== seen || this.closed) return resume(Effect.void)
      const waiter = () => resume(Effect.void)
      this.waiters.add(waiter)
      return Effect.sync(() => {
        this.waiters.delete(waiter)
      })
    })
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = new Set()
    for (const waiter of waiters) waiter()
  }
}
