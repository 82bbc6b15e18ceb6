import {
  type AppendResult,
  EventStore,
  type EventStoreService,
  EventStoreUnavailable,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedVersion
} from "@machhub/core"
import type Database from "better-sqlite3"
import { Effect, Layer, type Scope, Stream } from "effect"
import { appendProblem, binaryBytes, prepareAppend } from "./appendRequest.js"
import { BackgroundAppender, type BackgroundOutcome } from "./BackgroundAppender.js"
import { backstopCheckpointPages, Checkpointer } from "./Checkpointer.js"
import { CommitSignal } from "./CommitSignal.js"
import { openDatabase, type Synchronous } from "./database.js"
import { invalid, storeClosed, unavailable } from "./failures.js"
import { GroupCommit, type GroupCommitStats } from "./GroupCommit.js"
import { prepareStatements, type Statements, toRecordedEvent } from "./statements.js"
import { readAllProblem, readStreamProblem } from "../readArguments.js"
import { encodedBytes, RecentEvents } from "./RecentEvents.js"
import { subscribeToLog } from "./subscription.js"

export interface SqliteEventStoreOptions {
  /** Database file (created if missing); ":memory:" works for throwaway stores. */
  readonly path: string
  /** Durability of a commit, see {@link Synchronous}; "normal" by default. */
  readonly synchronous?: Synchronous | undefined
  /** Optional cap on the database size: appends beyond it fail as on a full disk. */
  readonly maxSizeBytes?: number | undefined
  /**
   * Checkpoint the WAL on a worker thread (default true; always off for ":memory:"). Off, the writing
   * thread checkpoints by itself, as SQLite does by default: measured, 25-30% fewer appends per second.
   */
  readonly backgroundCheckpoint?: boolean | undefined
  /**
   * Appends carrying at least this many bytes of binary data (terminal recordings) are committed by a
   * second connection on a worker thread, off the event loop (default 1: any binary data, so a
   * terminal's keystroke batches do not commit between its echoes either; Infinity: never; always off
   * for ":memory:"). See BackgroundAppender.
   */
  readonly backgroundAppendMinBytes?: number | undefined
}

/** The event store port plus what only this adapter offers. */
export interface SqliteEventStoreService extends EventStoreService {
  /** Commits every queued append now (graceful shutdown). Closing the store's scope also does it. */
  readonly flush: Effect.Effect<void>
  /** Group-commit counters, for tests and metrics. */
  readonly stats: Effect.Effect<GroupCommitStats>
}

/**
 * Owns the writing connection. Everything here runs synchronously on the JS thread, which is what makes
 * a batch atomic with respect to readers and subscribers; only WAL checkpoints run elsewhere.
 */
class SqliteEventLog {
  private readonly db: Database.Database
  private readonly statements: Statements
  private readonly checkpointer: Checkpointer | undefined
  readonly signal = new CommitSignal()
  readonly recent = new RecentEvents()
  readonly commit: GroupCommit
  readonly background: BackgroundAppender | undefined
  readonly backgroundMinBytes: number
  private closed = false

  constructor(options: SqliteEventStoreOptions) {
    const synchronous = options.synchronous ?? "normal"
    const inBackground = (options.backgroundCheckpoint ?? true) && options.path !== ":memory:" && options.path !== ""
    this.db = openDatabase({
      path: options.path,
      synchronous,
      maxSizeBytes: options.maxSizeBytes,
      autoCheckpointPages: inBackground ? backstopCheckpointPages : 1000
    })
    try {
      this.statements = prepareStatements(this.db)
      this.checkpointer = inBackground ? new Checkpointer(options.path, synchronous) : undefined
    } catch (error) {
      this.db.close()
      throw error
    }
    this.commit = new GroupCommit(this.db, this.statements, (recorded) => {
      this.recent.committed(recorded, this.statements.dataVersion())
      this.signal.notify()
    })
    this.backgroundMinBytes = options.backgroundAppendMinBytes ?? 1
    const onFile = options.path !== ":memory:" && options.path !== ""
    this.background = onFile && this.backgroundMinBytes !== Infinity
      ? new BackgroundAppender({
        path: options.path,
        synchronous,
        autoCheckpointPages: inBackground ? backstopCheckpointPages : 1000,
        maxPageCount: options.maxSizeBytes === undefined
          ? undefined
          : Math.max(1, Math.floor(options.maxSizeBytes / (this.db.pragma("page_size", { simple: true }) as number))),
        onSettled: () => this.commit.lockReleased()
      })
      : undefined
    if (this.background !== undefined) this.commit.shareWriteLock(this.background)
  }

  /** Events the background writer committed: handed to live subscribers as our own commits are. */
  committedInBackground(recorded: ReadonlyArray<RecordedEvent>): void {
    if (this.closed) return
    this.recent.committedInBackground(recorded, this.statements.dataVersion())
    this.signal.notify()
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Runs a read, turning the closed state and anything SQLite (or the decoder) throws into a failure. */
  read<A>(context: string, run: (statements: Statements) => A): Effect.Effect<A, EventStoreUnavailable> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(storeClosed())
      try {
        return Effect.succeed(run(this.statements))
      } catch (error) {
        return Effect.fail(unavailable(context, error))
      }
    })
  }

  /**
   * Refuses new work and ends subscriptions, commits what is queued, stops the checkpointer, then closes
   * the connection: as the last one, it checkpoints the WAL completely and removes it. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return
    // Closed first, synchronously: callers resumed by the final flush get "closed" for further appends
    // instead of queueing more work behind it, and subscribers it wakes end instead of reading.
    this.closed = true
    this.signal.close()
    this.commit.flush()
    await this.background?.stop()
    await this.checkpointer?.stop()
    try {
      this.db.close()
    } catch {
      // Closing can only fail on a connection that is already unusable; there is nothing left to save.
    }
  }
}

const isPosition = (value: number): boolean => Number.isSafeInteger(value)

/**
 * An append the worker commits. Once handed over it cannot be withdrawn: an interrupted caller's append
 * may still be stored (as when its acknowledgement is lost), which idempotent retries are built for.
 */
const appendInBackground = (
  log: SqliteEventLog,
  background: BackgroundAppender,
  stream: string,
  expected: ExpectedVersion,
  events: ReadonlyArray<NewEvent>
): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable> => {
  const problem = appendProblem(stream, expected, events)
  if (problem !== undefined) return Effect.fail(problem)
  return Effect.callback<AppendResult, WrongExpectedVersion | EventStoreUnavailable>((resume) => {
    void background.append(stream, expected, events).then((outcome) => resume(answer(log, stream, expected, events, outcome)))
  })
}

const answer = (
  log: SqliteEventLog,
  stream: string,
  expected: ExpectedVersion,
  events: ReadonlyArray<NewEvent>,
  outcome: BackgroundOutcome
): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable> => {
  switch (outcome.kind) {
    case "ok": {
      const { result } = outcome
      if (!result.duplicate && events.length > 0) {
        const first = result.version - events.length + 1
        log.committedInBackground(events.map((event, i) => {
          const recorded: RecordedEvent = { id: event.id, type: event.type, data: event.data, meta: event.meta, stream, version: first + i, position: result.firstPosition + i }
          encodedBytes.set(recorded, binaryBytes([event]) + 256)
          return recorded
        }))
      }
      return Effect.succeed(result)
    }
    case "conflict":
      return Effect.fail(new WrongExpectedVersion({ stream, expected, actual: outcome.actual }))
    case "invalid":
      return Effect.fail(invalid(outcome.reason))
    case "failed":
      return Effect.fail(new EventStoreUnavailable({ reason: outcome.reason }))
  }
}

/**
 * The store's calls are on every command's path and take microseconds, so they stay plain functions
 * returning an Effect rather than Effect.fn: a traced one captures a stack per call, and even an
 * untraced (generator) one adds steps that showed in createRecord's CPU profile.
 */
const toService = (log: SqliteEventLog): SqliteEventStoreService => {
  const readAll = (
    fromPosition: number,
    limit: number
  ): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> => {
    const problem = readAllProblem(fromPosition, limit)
    if (problem !== undefined) return Effect.fail(invalid(problem))
    if (limit === 0) return Effect.succeed([])
    return log.read("readAll failed", (s) => {
      const from = Math.max(1, fromPosition)
      return log.recent.read(from, limit, s.dataVersion()) ?? s.readAll(from, limit).map(toRecordedEvent)
    })
  }

  return {
    append: (
      stream: string,
      expected: ExpectedVersion,
      events: ReadonlyArray<NewEvent>
    ): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable> =>
      Effect.suspend(() => {
        if (log.isClosed) return Effect.fail(storeClosed())
        if (log.background?.available === true && binaryBytes(events) >= log.backgroundMinBytes) {
          return appendInBackground(log, log.background, stream, expected, events)
        }
        const request = prepareAppend(stream, expected, events)
        if (request instanceof EventStoreUnavailable) return Effect.fail(request)
        return Effect.callback<AppendResult, WrongExpectedVersion | EventStoreUnavailable>((resume) => {
          const pending = log.commit.submit(request, resume)
          // An interrupted caller that is still queued is dropped from its batch. Once the batch has run
          // the append stands (like any write whose acknowledgement was lost).
          return Effect.sync(() => {
            pending.cancelled = true
          })
        })
      }),

    readStream: (stream: string, fromVersion = 1, limit?: number) => {
      const problem = readStreamProblem(stream, fromVersion, limit)
      if (problem !== undefined) return Effect.fail(invalid(problem))
      if (limit === 0) return Effect.succeed([])
      return log.read(`readStream ${stream} failed`, (s) => s.readStream(stream, fromVersion, limit ?? -1).map(toRecordedEvent))
    },

    readAll,

    headPosition: log.read("headPosition failed", (s) => s.headPosition()),

    subscribe: (fromPosition: number) =>
      isPosition(fromPosition)
        ? subscribeToLog(log.signal, readAll, fromPosition)
        : Stream.fail(invalid(`subscribe: fromPosition must be an integer, got ${fromPosition}`)),

    flush: Effect.sync(() => {
      if (!log.isClosed) log.commit.flush()
    }),

    stats: Effect.sync(() => log.commit.stats)
  }
}

/**
 * Opens a SQLite event store for the life of the current Scope. Closing the scope commits the queued
 * appends, ends live subscriptions, then closes the database.
 */
export const makeSqliteEventStore = (
  options: SqliteEventStoreOptions
): Effect.Effect<SqliteEventStoreService, EventStoreUnavailable, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({
        try: () => new SqliteEventLog(options),
        catch: (error) => unavailable(`cannot open the SQLite event store at ${options.path}`, error)
      }),
      (log) => Effect.promise(() => log.close())
    ),
    toService
  )

export const SqliteEventStore = {
  make: makeSqliteEventStore,
  /** Provides the EventStore port, backed by SQLite, for the life of the layer. */
  layer: (options: SqliteEventStoreOptions): Layer.Layer<EventStore, EventStoreUnavailable> =>
    Layer.effect(EventStore, makeSqliteEventStore(options))
} as const
