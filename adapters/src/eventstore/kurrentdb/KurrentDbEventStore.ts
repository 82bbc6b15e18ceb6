import { randomUUID } from "node:crypto"
import {
  type AppendResult,
  EventStore,
  type EventStoreService,
  EventStoreUnavailable,
  type ExpectedVersion,
  matchesExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedVersion
} from "@machhub/core"
import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  excludeSystemEvents,
  type Filter,
  KurrentDBClient,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
  START,
  StreamNotFoundError,
  streamNameFilter
} from "@kurrent/kurrentdb-client"
import { Effect, Layer, type Scope, Stream } from "effect"
import { validateAppend } from "../jetstream/appendInput.js"
import { invalid } from "../jetstream/failures.js"
import {
  type Decoded,
  fromResolved,
  isAtOrAfterStart,
  isUuid,
  type ReadStart,
  readStartOf,
  streamStateOf,
  toEventData,
  toStoreError,
  toUnavailable,
  versionOfRevision
} from "./mapping.js"

export interface KurrentDbEventStoreOptions {
  /** A client to use (not disposed with the store). Either this or `connectionString`. */
  readonly client?: KurrentDBClient | undefined
  /** e.g. `kurrentdb://127.0.0.1:2113?tls=false`; the client is the store's and is disposed with it. */
  readonly connectionString?: string | undefined
  /** Deadline of each call in ms (default 10 s). */
  readonly requestTimeoutMs?: number | undefined
  /**
   * Prefix of this store's stream names in KurrentDB (default none). `$all` is then read through a
   * server-side stream-name filter, so several stores (tests, applications) can share one database.
   */
  readonly streamPrefix?: string | undefined
}

const MAX_EVENTS_PER_APPEND = 10_000
const DEFAULT_TIMEOUT_MS = 10_000

/** Drains an async iterable of KurrentDB events, treating a missing stream as an empty one. */
const collect = async <A>(iterable: AsyncIterable<A>, visit: (item: A) => boolean | void): Promise<void> => {
  try {
    for await (const item of iterable) if (visit(item) === false) break
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error
  }
}

/** The KurrentDB position of an event from its port position (see mapping.ts). */
const commitOf = (portPosition: number): Position => {
  const commit = BigInt((portPosition - 1) / 2)
  return { commit, prepare: commit }
}

const readPositionOf = (start: ReadStart): ReadPosition => (start.kind === "start" ? START : start.position)

class KurrentLog {
  private closed = false
  private readonly subscriptions = new Set<{ unsubscribe(): Promise<void> }>()

  constructor(readonly client: KurrentDBClient, readonly deadline: number, readonly prefix: string) {}

  /** The KurrentDB stream holding a port stream. */
  name(stream: string): string {
    return this.prefix + stream
  }

  /** The server-side filter of `$all` reads: this store's streams, or everything but system events. */
  filter(): Filter {
    return this.prefix === "" ? excludeSystemEvents() : streamNameFilter({ prefixes: [this.prefix] })
  }

  /** fromResolved, with the prefix taken off the stream name; undefined for other stores' events. */
  decode(resolved: ResolvedEvent | AllStreamResolvedEvent): Decoded | undefined {
    const decoded = fromResolved(resolved)
    if (decoded === undefined || this.prefix === "") return decoded
    if (!decoded.event.stream.startsWith(this.prefix)) return undefined
    return { ...decoded, event: { ...decoded.event, stream: decoded.event.stream.slice(this.prefix.length) } }
  }

  call<A>(context: string, run: () => Promise<A>): Effect.Effect<A, EventStoreUnavailable> {
    return Effect.suspend(() =>
      this.closed
        ? Effect.fail(new EventStoreUnavailable({ reason: "the KurrentDB event store is closed" }))
        : Effect.tryPromise({ try: run, catch: (error) => toUnavailable(context, error) })
    )
  }

  /** The events of one stream from a revision on, decoded; at most `maxCount`. */
  readStreamRaw(stream: string, fromRevision: bigint, maxCount: number): Promise<Array<Decoded>> {
    const decoded: Array<Decoded> = []
    return collect(
      this.client.readStream(this.name(stream), { fromRevision, maxCount, deadline: this.deadline }),
      (resolved) => {
        const event = this.decode(resolved)
        if (event !== undefined) decoded.push(event)
      }
    ).then(() => decoded)
  }

  /** The stream's current version (0 when it does not exist) and its last event's position. */
  async streamHead(stream: string): Promise<{ version: number; position: number }> {
    let head = { version: 0, position: 0 }
    await collect(
      this.client.readStream(this.name(stream), { direction: BACKWARDS, fromRevision: END, maxCount: 1, deadline: this.deadline }),
      (resolved) => {
        const event = this.decode(resolved)
        if (event !== undefined) head = { version: event.event.version, position: event.event.position }
      }
    )
    return head
  }

  /** Up to `limit` of this adapter's events of `$all`, from `start`, skipping system and foreign ones. */
  async readAll(start: ReadStart, limit: number): Promise<Array<RecordedEvent>> {
    const events: Array<RecordedEvent> = []
    let from = start
    for (;;) {
      const wanted = limit - events.length + 1
      let seen = 0
      let last: Position | undefined
      await collect(
        this.client.readAll({ fromPosition: readPositionOf(from), maxCount: wanted, filter: this.filter(), deadline: this.deadline }),
        (resolved: AllStreamResolvedEvent) => {
          seen++
          const decoded = this.decode(resolved)
          last = decoded?.kurrentPosition ?? last
          if (decoded?.kurrentPosition !== undefined && isAtOrAfterStart(from, decoded.kurrentPosition) && events.length < limit) {
            events.push(decoded.event)
          }
        }
      )
      if (events.length >= limit || seen < wanted || last === undefined) return events
      from = { kind: "after", position: last }
    }
  }

  track(subscription: { unsubscribe(): Promise<void> }): () => void {
    this.subscriptions.add(subscription)
    return () => this.subscriptions.delete(subscription)
  }

  get isClosed(): boolean {
    return this.closed
  }

  async close(owned: boolean): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subscriptions].map((s) => s.unsubscribe().catch(() => undefined)))
    if (owned) await this.client.dispose().catch(() => undefined)
  }
}

const append = (
  log: KurrentLog,
  stream: string,
  expected: ExpectedVersion,
  events: ReadonlyArray<NewEvent>
): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable> =>
  Effect.gen(function*() {
    if (events.length === 0) {
      const head = yield* log.call(`reading stream ${stream}`, () => log.streamHead(stream))
      if (!matchesExpectedVersion(expected, head.version)) {
        return yield* new WrongExpectedVersion({ stream, expected, actual: head.version })
      }
      return { version: head.version, firstPosition: head.position, position: head.position, duplicate: false }
    }
    const attempt = randomUUID()
    const written = yield* Effect.tryPromise({
      try: () =>
        log.client.appendToStream(log.name(stream), events.map((e, i) => toEventData(e, i === 0 ? attempt : undefined)), {
          streamState: streamStateOf(expected),
          deadline: log.deadline
        }),
      catch: (error) => toStoreError(`appending to ${stream}`, stream, expected, error)
    })
    // Read the append back: it gives every event's position, and tells a fresh write from an
    // idempotent repeat (whose events carry another attempt's marker).
    const firstRevision = written.nextExpectedRevision - BigInt(events.length - 1)
    const stored = yield* log.call(`reading back stream ${stream}`, () => log.readStreamRaw(stream, firstRevision, events.length)).pipe(
      // The append itself went through: failing to read it back leaves the caller unable to tell.
      Effect.mapError((failure) => new EventStoreUnavailable({ reason: failure.reason, outcomeUnknown: true }))
    )
    if (stored.length !== events.length || stored.some((s, i) => s.event.id !== events[i]!.id)) {
      return yield* invalid(
        `append to stream ${stream} repeats some event ids of an earlier append but not all of them, in order`
      )
    }
    return {
      version: versionOfRevision(written.nextExpectedRevision),
      firstPosition: stored[0]!.event.position,
      position: stored[stored.length - 1]!.event.position,
      duplicate: stored[0]!.attempt !== attempt
    }
  })

/** A catch-up subscription on `$all` as a Stream: KurrentDB itself switches from catch-up to live. */
const subscribeAll = (log: KurrentLog, start: ReadStart): Stream.Stream<RecordedEvent, EventStoreUnavailable> =>
  Stream.unwrap(
    Effect.gen(function*() {
      // A subscription starts AFTER its position; "at c" therefore first reads the event at c itself.
      const first = start.kind === "at"
        ? yield* log.call("reading $all", () => log.readAll(start, 1))
        : []
      // Then after the last event already emitted (which may lie beyond c), so none comes twice.
      const emitted = first[first.length - 1]
      const from: ReadPosition = emitted !== undefined
        ? commitOf(emitted.position)
        : start.kind === "start" ? START : start.position
      const subscription = yield* Effect.acquireRelease(
        Effect.sync(() => log.client.subscribeToAll({ fromPosition: from, filter: log.filter() })),
        (s) => Effect.promise(() => s.unsubscribe().catch(() => undefined))
      )
      const forget = log.track(subscription)
      yield* Effect.addFinalizer(() => Effect.sync(forget))
      return Stream.concat(
        Stream.fromIterable(first),
        Stream.fromAsyncIterable(subscription, (error) => toUnavailable("subscription to $all", error)).pipe(
          Stream.map((resolved) => log.decode(resolved)),
          Stream.filter((decoded): decoded is Decoded => decoded !== undefined),
          Stream.map((decoded) => decoded.event)
        )
      )
    })
  )

const toService = (log: KurrentLog): EventStoreService => ({
  // Each call is a round trip to KurrentDB: a traced span per call costs little next to it.
  append: Effect.fn("EventStore.append")((stream: string, expected: ExpectedVersion, events: ReadonlyArray<NewEvent>) =>
    Effect.suspend(() => {
      const request = validateAppend(stream, expected, events, MAX_EVENTS_PER_APPEND)
      if (request instanceof EventStoreUnavailable) return Effect.fail(request)
      const notUuid = request.events.find((e) => !isUuid(e.id))
      if (notUuid !== undefined) return Effect.fail(invalid(`KurrentDB event ids must be UUIDs, got ${notUuid.id}`))
      return append(log, request.stream, request.expected, request.events)
    })),

  readStream: Effect.fn("EventStore.readStream")((
    stream: string,
    fromVersion = 1,
    limit?: number
  ): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> => {
    if (typeof stream !== "string" || stream.length === 0) {
      return Effect.fail(invalid("readStream: the stream name must be a non-empty string"))
    }
    if (!Number.isSafeInteger(fromVersion)) return Effect.fail(invalid(`readStream: fromVersion must be an integer, got ${fromVersion}`))
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      return Effect.fail(invalid(`readStream: limit must be an integer >= 0, got ${limit}`))
    }
    if (limit === 0) return Effect.succeed([])
    return log.call(`reading stream ${stream}`, () =>
      log.readStreamRaw(stream, BigInt(Math.max(1, fromVersion) - 1), limit ?? Number.MAX_SAFE_INTEGER)
    ).pipe(Effect.map((decoded) => decoded.map((d) => d.event)))
  }),

  readAll: Effect.fn("EventStore.readAll")((fromPosition: number, limit: number): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> => {
    if (!Number.isSafeInteger(fromPosition)) return Effect.fail(invalid(`readAll: fromPosition must be an integer, got ${fromPosition}`))
    if (!Number.isSafeInteger(limit) || limit < 0) return Effect.fail(invalid(`readAll: limit must be an integer >= 0, got ${limit}`))
    if (limit === 0) return Effect.succeed([])
    return log.call("reading $all", () => log.readAll(readStartOf(fromPosition), limit))
  }),

  headPosition: log.call("reading the head of $all", async () => {
    let head = 0
    await collect(
      log.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 100, filter: log.filter(), deadline: log.deadline }),
      (resolved) => {
        const decoded = log.decode(resolved)
        if (decoded === undefined) return true
        head = decoded.event.position
        return false
      }
    )
    return head
  }),

  subscribe: (fromPosition) =>
    Number.isSafeInteger(fromPosition)
      ? subscribeAll(log, readStartOf(fromPosition))
      : Stream.fail(invalid(`subscribe: fromPosition must be an integer, got ${fromPosition}`))
})

/**
 * Opens a KurrentDB event store for the life of the current Scope. Streams keep the port's names,
 * `$all` is the global log, and catch-up subscriptions on `$all` serve `subscribe`.
 */
export const makeKurrentDbEventStore = (
  options: KurrentDbEventStoreOptions
): Effect.Effect<EventStoreService, EventStoreUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const owned = options.client === undefined
    const client = options.client ?? (options.connectionString === undefined
      ? undefined
      : yield* Effect.try({
        try: () => KurrentDBClient.connectionString(options.connectionString!),
        catch: (error) => toUnavailable("invalid KurrentDB connection string", error)
      }))
    if (client === undefined) return yield* invalid("the KurrentDB event store needs a client or a connection string")
    const log = yield* Effect.acquireRelease(
      Effect.sync(() => new KurrentLog(client, options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS, options.streamPrefix ?? "")),
      (log) => Effect.promise(() => log.close(owned))
    )
    return toService(log)
  })

export const KurrentDbEventStore = {
  make: makeKurrentDbEventStore,
  layer: (options: KurrentDbEventStoreOptions): Layer.Layer<EventStore, EventStoreUnavailable> =>
    Layer.effect(EventStore, makeKurrentDbEventStore(options))
} as const
