import { EventStoreUnavailable } from "@machhub/core"
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream"
import { Effect } from "effect"
import type { NatsClient } from "../../nats/NatsClient.js"
import { disconnected, outcomeUnknown, storeClosed, unavailable } from "./failures.js"
import type { RecentAppends, StreamHeads } from "./RecentAppends.js"

/** Everything the store's operations share; one per opened store. */
export interface JetStreamContext {
  readonly client: NatsClient
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly streamName: string
  readonly subjectPrefix: string
  /** Timeout of each JetStream request (publish acknowledgement, API call, fetch) in ms. */
  readonly timeoutMs: number
  readonly heads: StreamHeads
  readonly recent: RecentAppends
  readonly lifecycle: Lifecycle
  readonly connection: ConnectionWatch
}

/** Open until the store's scope closes; live subscriptions register here to be ended then. */
export class Lifecycle {
  private closedFlag = false
  private readonly onClose = new Set<() => void>()

  get closed(): boolean {
    return this.closedFlag
  }

  /** Registers `listener` to run at close; returns its removal. */
  whenClosed(listener: () => void): () => void {
    this.onClose.add(listener)
    return () => this.onClose.delete(listener)
  }

  close(): void {
    if (this.closedFlag) return
    this.closedFlag = true
    for (const listener of [...this.onClose]) listener()
    this.onClose.clear()
  }
}

/**
 * Lets calls in flight be abandoned the moment the connection drops. Each call registers a listener
 * that it removes when it settles, so nothing accumulates however many calls a connected period sees
 * (racing one long-lived promise instead would leave a reaction on it per call until the next drop).
 * Plain promises, not a fiber race per call: that measured ~30% of the append path's CPU.
 */
export class ConnectionWatch {
  private readonly listeners = new Set<(reason: Error) => void>()
  private lostNow = true

  get isLost(): boolean {
    return this.lostNow
  }

  /** Settles as `call` does, or rejects as soon as the connection is lost, whichever comes first. */
  race<A>(call: Promise<A>): Promise<A> {
    return new Promise<A>((resolve, reject) => {
      const onLost = (reason: Error) => reject(reason)
      this.listeners.add(onLost)
      call.then(
        (value) => {
          this.listeners.delete(onLost)
          resolve(value)
        },
        (error: unknown) => {
          this.listeners.delete(onLost)
          reject(error)
        }
      )
    })
  }

  signalLost(): void {
    if (this.lostNow) return
    this.lostNow = true
    const reason = new Error("NATS is disconnected")
    const abandoned = [...this.listeners]
    this.listeners.clear()
    for (const listener of abandoned) listener(reason)
  }

  /** A new connected period. */
  renew(): void {
    this.lostNow = false
  }
}

/** Keeps `watch` in step with the connection for the life of the store's scope. */
export const watchConnection = (client: NatsClient, watch: ConnectionWatch): Effect.Effect<void> =>
  Effect.forever(
    Effect.gen(function*() {
      yield* client.awaitDisconnected
      watch.signalLost()
      while (!client.isConnected()) yield* Effect.sleep("25 millis")
      watch.renew()
    })
  )

/**
 * Runs one NATS/JetStream call. nats.js buffers requests while it reconnects and lets them wait out
 * their timeout, so a call is refused at once while the connection is down, and one in flight is
 * abandoned as soon as the connection drops: callers learn within milliseconds that the store is
 * unavailable instead of after the timeout. An abandoned append may still have been stored; its retry
 * with the same event ids is answered as a duplicate. `mayHaveStored` tells, for a call that was sent
 * and then failed, whether it may have taken effect: such a failure is marked `outcomeUnknown`. A call
 * refused before sending (closed store, no connection) surely did nothing.
 */
export const natsCall = <A>(
  ctx: JetStreamContext,
  context: string,
  run: () => Promise<A>,
  mayHaveStored?: (error: unknown) => boolean
): Effect.Effect<A, EventStoreUnavailable> =>
  Effect.suspend(() => {
    if (ctx.lifecycle.closed) return Effect.fail(storeClosed())
    if (!ctx.client.isConnected()) return Effect.fail(disconnected(context))
    // Reconnected before the watcher noticed: start the new period now rather than fail this call.
    if (ctx.connection.isLost) ctx.connection.renew()
    return Effect.tryPromise({
      try: () => ctx.connection.race(run()),
      catch: (error) => {
        // A failure already worded for the port (e.g. a corrupt message met while reading) passes as is.
        if (error instanceof EventStoreUnavailable) return error
        const failure = ctx.client.isConnected() ? unavailable(context, error) : disconnected(context)
        return mayHaveStored?.(error) === true ? outcomeUnknown(failure) : failure
      }
    })
  })
