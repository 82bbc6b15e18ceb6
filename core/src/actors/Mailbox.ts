import { Deferred, Effect, Option } from "effect"

/**
 * A single-consumer FIFO whose `offer` is synchronous. The actor system relies on that: looking up an
 * actor, creating it if absent, and enqueuing happen in one synchronous step, so a command can never be
 * enqueued into an actor that is passivating at the same moment.
 */
export class Mailbox<A> {
  private items: Array<A> = []
  private head = 0
  private wakeUp: Deferred.Deferred<void> | undefined

  get size(): number {
    return this.items.length - this.head
  }

  offer(item: A): void {
    this.items.push(item)
    if (this.wakeUp !== undefined) {
      const waiting = this.wakeUp
      this.wakeUp = undefined
      Deferred.doneUnsafe(waiting, Effect.void)
    }
  }

  poll(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined as A
    // Compact now and then so a long-lived actor does not keep a growing array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Waits until something is offered; false when `idleMillis` passed first. */
  awaitItem(idleMillis: number): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      if (this.size > 0) return Effect.succeed(true)
      const waiting = Deferred.makeUnsafe<void>()
      this.wakeUp = waiting
      return Deferred.await(waiting).pipe(
        Effect.timeoutOption(idleMillis),
        Effect.map(Option.isSome)
      )
    })
  }
}
