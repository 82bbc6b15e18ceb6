import {
  type AppendResult,
  EventStore,
  type EventStoreService,
  EventStoreUnavailable,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type WrongExpectedVersion
} from "@machhub/core"
import { readAllProblem, readStreamProblem } from "../readArguments.js"
import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { Effect, Layer, type Scope, Stream } from "effect"
import { connectNats, type NatsClient } from "../../nats/NatsClient.js"
import { validateAppend } from "./appendInput.js"
import { appendCommit } from "./appendCommit.js"
import { invalid, unavailable } from "./failures.js"
import { ConnectionWatch, type JetStreamContext, Lifecycle, watchConnection } from "./JetStreamContext.js"
import { SLOTS_PER_COMMIT } from "./positions.js"
import { RecentAppends, StreamHeads } from "./RecentAppends.js"
import { readHeadPosition, readLog, readStreamEvents } from "./reads.js"
import { ensureEventStream } from "./streamSetup.js"
import { subscribeToLog } from "./subscription.js"
import { DEFAULT_SUBJECT_PREFIX, streamSubject } from "./subjects.js"

export interface JetStreamEventStoreOptions {
  /** A connection to use (not closed with the store). Either this or `servers`. */
  readonly client?: NatsClient | undefined
  /** NATS servers to connect to; the connection is the store's and closes with it. */
  readonly servers?: string | ReadonlyArray<string> | undefined
  /** The JetStream stream holding the events (default "MH_EVENTS"); created if absent. */
  readonly streamName?: string | undefined
  /** Subjects are `<prefix>.<domain>.<category>.<id>`; default "mh.es". */
  readonly subjectPrefix?: string | undefined
  /** Replicas of a stream this store creates (default 1; 3 in a 3-node cluster). */
  readonly replicas?: number | undefined
  /** Largest append, encoded, the stream accepts (default 1 MiB, NATS's default max_payload). */
  readonly maxMessageBytes?: number | undefined
  /** De-duplication window of retried appends (default 2 minutes, JetStream's default). */
  readonly duplicateWindowMs?: number | undefined
  /** Size cap of the stream; appends fail once it is full (default: none). */
  readonly maxBytes?: number | undefined
  /** Timeout of each JetStream request, in ms (default 5 s). */
  readonly requestTimeoutMs?: number | undefined
  /** Event ids of recent appends this process remembers for idempotency (default 100,000). */
  readonly rememberedIds?: number | undefined
}

export interface JetStreamEventStoreService extends EventStoreService {
  readonly streamName: string
  /** The subject a stream's commits are published on. */
  subjectOf(stream: string): string
}

export const DEFAULT_STREAM_NAME = "MH_EVENTS"
const DEFAULT_TIMEOUT_MS = 5_000
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000
const REMEMBERED_HEADS = 100_000

const isPosition = (value: number): boolean => Number.isSafeInteger(value)

const toService = (ctx: JetStreamContext): JetStreamEventStoreService => {
  const subjectOf = (stream: string) => streamSubject(ctx.subjectPrefix, stream)
  return {
    streamName: ctx.streamName,
    subjectOf,

    // Each call is a round trip to NATS: a traced span per call costs little next to it.
    append: Effect.fn("EventStore.append")((
      stream: string,
      expected: ExpectedVersion,
      events: ReadonlyArray<NewEvent>
    ): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable> =>
      Effect.suspend(() => {
        const request = validateAppend(stream, expected, events, SLOTS_PER_COMMIT)
        if (request instanceof EventStoreUnavailable) return Effect.fail(request)
        return appendCommit(ctx, subjectOf(request.stream), request)
      })),

    readStream: Effect.fn("EventStore.readStream")((
      stream: string,
      fromVersion = 1,
      limit?: number
    ): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> => {
      const problem = readStreamProblem(stream, fromVersion, limit)
      if (problem !== undefined) return Effect.fail(invalid(problem))
      if (limit === 0) return Effect.succeed([])
      return readStreamEvents(ctx, stream, subjectOf(stream), fromVersion, limit)
    }),

    readAll: Effect.fn("EventStore.readAll")((fromPosition: number, limit: number): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> => {
      const problem = readAllProblem(fromPosition, limit)
      if (problem !== undefined) return Effect.fail(invalid(problem))
      if (limit === 0) return Effect.succeed([])
      return readLog(ctx, Math.max(1, fromPosition), limit)
    }),

    headPosition: readHeadPosition(ctx),

    subscribe: (fromPosition: number) =>
      isPosition(fromPosition)
        ? subscribeToLog(ctx, Math.max(1, fromPosition))
        : Stream.fail(invalid(`subscribe: fromPosition must be an integer, got ${fromPosition}`))
  }
}

const clientOf = (options: JetStreamEventStoreOptions): Effect.Effect<NatsClient, EventStoreUnavailable, Scope.Scope> => {
  if (options.client !== undefined) return Effect.succeed(options.client)
  if (options.servers === undefined) {
    return Effect.fail(invalid("the JetStream event store needs either a NATS client or servers to connect to"))
  }
  return connectNats({ servers: options.servers, name: "machhub-event-store", timeout: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS })
    .pipe(Effect.mapError((error) => new EventStoreUnavailable({ reason: error.message })))
}

/**
 * Opens the JetStream event store for the life of the current Scope: connects (unless given a client),
 * makes sure the event stream exists, and on close ends live subscriptions, then closes its own
 * connection (never one it was given).
 */
export const makeJetStreamEventStore = (
  options: JetStreamEventStoreOptions
): Effect.Effect<JetStreamEventStoreService, EventStoreUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* clientOf(options)
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS
    const streamName = options.streamName ?? DEFAULT_STREAM_NAME
    const subjectPrefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX
    const jsm = yield* Effect.tryPromise({
      try: () => jetstreamManager(client.connection, { timeout: timeoutMs }),
      catch: (error) => unavailable("JetStream is not available on this NATS server", error)
    })
    yield* ensureEventStream(jsm, {
      streamName,
      subjectPrefix,
      replicas: options.replicas ?? 1,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      duplicateWindowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
      maxBytes: options.maxBytes ?? -1
    })
    const connection = new ConnectionWatch()
    yield* Effect.forkScoped(watchConnection(client, connection))
    const lifecycle = new Lifecycle()
    // Added after the connection's own finalizer, so it runs first: subscriptions end before it closes.
    yield* Effect.addFinalizer(() => Effect.sync(() => lifecycle.close()))
    return toService({
      client,
      js: jetstream(client.connection, { timeout: timeoutMs }),
      jsm,
      streamName,
      subjectPrefix,
      timeoutMs,
      heads: new StreamHeads(REMEMBERED_HEADS),
      recent: new RecentAppends(options.rememberedIds ?? 100_000),
      lifecycle,
      connection
    })
  })

export const JetStreamEventStore = {
  make: makeJetStreamEventStore,
  /** Provides the EventStore port, backed by JetStream, for the life of the layer. */
  layer: (options: JetStreamEventStoreOptions): Layer.Layer<EventStore, EventStoreUnavailable> =>
    Layer.effect(EventStore, makeJetStreamEventStore(options))
} as const
