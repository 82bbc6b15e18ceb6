import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Layer, Schema, type Scope } from "effect"

export interface NatsConnectOptions {
  readonly servers: string | ReadonlyArray<string>
  /** Connection name shown by the server's monitoring endpoints. */
  readonly name?: string
  /**
   * Pause between reconnect attempts in ms (default 250). Short, because while NATS is away every
   * command fails fast with CommandUnavailable, so the sooner we are back the better.
   */
  readonly reconnectTimeWait?: number
  /** Timeout of the first connection attempt in ms (nats.js default 20 s). */
  readonly timeout?: number
}

/**
 * A NATS connection plus what nats.js does not answer synchronously: "are we connected right now?".
 * nats.js buffers publishes and requests while it reconnects; the buses consult `isConnected()` so
 * they can refuse work at once instead of letting callers wait out a timeout.
 */
export interface NatsClient {
  readonly connection: NatsConnection
  /** True between a successful (re)connect and the next disconnect/close. */
  isConnected(): boolean
  /** Completes as soon as the connection is (or already was) lost; used to abandon in-flight requests. */
  readonly awaitDisconnected: Effect.Effect<void>
}

export class NatsConnectError extends Schema.TaggedError<NatsConnectError>()("NatsConnectError", {
  message: Schema.String
}) {}

export const DEFAULT_RECONNECT_TIME_WAIT_MS = 250
const PING_INTERVAL_MS = 10_000
/** How long closing waits for buffered messages and subscriptions to drain before closing hard. */
const DRAIN_ON_CLOSE_TIMEOUT_MS = 5_000

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Wraps a live nats.js connection and follows its status events. */
const track = (connection: NatsConnection): NatsClient => {
  let connected = !connection.isClosed()
  const onDisconnect = new Set<() => void>()
  const setConnected = (value: boolean) => {
    connected = value
    if (!value) {
      for (const listener of [...onDisconnect]) listener()
    }
  }

  // The status iterator ends when the connection closes; `closed()` covers a close that happens
  // before the loop sees the final status.
  void (async () => {
    for await (const status of connection.status()) {
      switch (status.type) {
        case "disconnect":
        case "reconnecting":
        case "staleConnection":
        case "forceReconnect":
        case "close":
          setConnected(false)
          break
        case "reconnect":
          setConnected(true)
          break
        default:
          // ping, update, ldm (lame duck: still connected), error, slowConsumer: no change.
          break
      }
    }
  })().catch(() => setConnected(false))
  void connection.closed().then(() => setConnected(false), () => setConnected(false))

  const awaitDisconnected: Effect.Effect<void> = Effect.callback<void>((resume) => {
    if (!connected) {
      resume(Effect.void)
      return
    }
    const listener = () => resume(Effect.void)
    onDisconnect.add(listener)
    return Effect.sync(() => {
      onDisconnect.delete(listener)
    })
  })

  return { connection, isConnected: () => connected, awaitDisconnected }
}

const close = (connection: NatsConnection): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (connection.isClosed()) return
    // Drain flushes what was published and lets subscriptions finish; it cannot while disconnected.
    if (!connection.isDraining()) {
      yield* Effect.tryPromise(() => connection.drain()).pipe(
        Effect.timeoutOption(DRAIN_ON_CLOSE_TIMEOUT_MS),
        Effect.ignore
      )
    }
    yield* Effect.tryPromise(() => connection.close()).pipe(Effect.ignore)
  })

/**
 * Connects (the first attempt must succeed), then reconnects forever; the connection is drained
 * and closed when the scope closes.
 */
export const connectNats = (options: NatsConnectOptions): Effect.Effect<NatsClient, NatsConnectError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        connect({
          servers: typeof options.servers === "string" ? options.servers : [...options.servers],
          maxReconnectAttempts: -1,
          reconnectTimeWait: options.reconnectTimeWait ?? DEFAULT_RECONNECT_TIME_WAIT_MS,
          // A server that stops answering without closing the socket (frozen, partitioned) is given up
          // after two missed pings: ~20 s rather than nats.js's default of minutes, during which
          // every request would wait out its own timeout.
          pingInterval: PING_INTERVAL_MS,
          maxPingOut: 2,
          // nats.js otherwise builds two Error objects (stack traces) per request in case it fails:
          // ~9% of a JetStream-backed server's CPU under load. Failures still say what went wrong.
          noAsyncTraces: true,
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.timeout === undefined ? {} : { timeout: options.timeout })
        }),
      catch: (error) => new NatsConnectError({ message: `cannot connect to NATS: ${errorMessage(error)}` })
    }).pipe(Effect.map(track)),
    (client) => close(client.connection)
  )

/** The process's NATS connection. */
export class Nats extends Context.Service<Nats, NatsClient>()("@machhub/adapters/Nats") {
  static readonly layer = (options: NatsConnectOptions): Layer.Layer<Nats, NatsConnectError> =>
    Layer.effect(Nats, connectNats(options))
}
