import type { EventStoreUnavailable, RecordedEvent } from "@machhub/core"
import { AckPolicy, DeliverPolicy, type JsMsg, type StoredMsg } from "@nats-io/jetstream"
import { nanos, nuid } from "@nats-io/transport-node"
import { Effect } from "effect"
import { type CommitHead, emptyHead, headOf, lastPositionOf, MalformedCommit, recordedEvents } from "./commitMessage.js"
import { corrupt } from "./failures.js"
import { type JetStreamContext, natsCall } from "./JetStreamContext.js"
import { sequenceOf } from "./positions.js"
import { allSubjects } from "./subjects.js"

/** Messages per pull while reading a range: bounds what one fetch buffers (a message is at most ~1 MiB). */
const FETCH_BATCH = 256
/** A reading consumer that its reader lost (crash, lost connection) is removed by the server after this. */
const READER_INACTIVE_MS = 30_000

/** Decodes a message, naming its sequence if it is not a commit of this adapter. */
const decodeOr = <A>(seq: number, decode: () => A): A => {
  try {
    return decode()
  } catch (error) {
    if (error instanceof MalformedCommit) throw corrupt(seq, error.message)
    throw error
  }
}

export const decodeEffect = <A>(seq: number, decode: () => A): Effect.Effect<A, EventStoreUnavailable> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(decode())
    } catch (error) {
      if (error instanceof MalformedCommit) return Effect.fail(corrupt(seq, error.message))
      throw error
    }
  })

/** The last commit of `subject` (a stream's subject, or the wildcard of the whole log). */
export const readHead = (ctx: JetStreamContext, subject: string): Effect.Effect<CommitHead, EventStoreUnavailable> =>
  // STREAM.MSG.GET is answered by the stream leader, never by a lagging replica (unlike direct gets),
  // so the version it reports is authoritative: conflicts quote it as the actual version.
  natsCall(ctx, `reading the head of ${subject}`, () => ctx.jsm.streams.getMessage(ctx.streamName, { last_by_subj: subject }))
    .pipe(Effect.flatMap((message: StoredMsg | null) =>
      message === null ? Effect.succeed(emptyHead) : decodeEffect(message.seq, () => headOf(message.seq, message.header))
    ))

export const readStoredMessage = (ctx: JetStreamContext, seq: number): Effect.Effect<StoredMsg | null, EventStoreUnavailable> =>
  natsCall(ctx, `reading stream sequence ${seq}`, () => ctx.jsm.streams.getMessage(ctx.streamName, { seq }))

/**
 * Reads the messages on `filter` from stream sequence `startSeq` on, at most `maxMessages`, through a
 * short-lived pull consumer; `visit` returns false to stop early. The consumer's creation reports how
 * many messages match (`num_pending`), so exactly those are fetched: no waiting for messages that do
 * not exist, and messages appended meanwhile are left for the next read.
 */
const readMessages = (
  ctx: JetStreamContext,
  filter: string,
  startSeq: number,
  maxMessages: number,
  visit: (msg: JsMsg) => boolean,
  /** Deliver headers only (the server leaves the bodies out): for finding where to start reading. */
  headersOnly = false
): Effect.Effect<void, EventStoreUnavailable> =>
  natsCall(ctx, `reading ${filter} from sequence ${startSeq}`, async () => {
    const name = `mh_read_${nuid.next()}`
    const info = await ctx.jsm.consumers.add(ctx.streamName, {
      name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
      filter_subject: filter,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(READER_INACTIVE_MS),
      ...(headersOnly ? { headers_only: true } : {})
    })
    try {
      const consumer = ctx.js.consumers.getConsumerFromInfo(info)
      let remaining = Math.min(info.num_pending, maxMessages)
      while (remaining > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(remaining, FETCH_BATCH), expires: ctx.timeoutMs })
        let received = 0
        for await (const msg of batch) {
          received++
          remaining--
          if (!visit(msg)) {
            remaining = 0
            batch.stop()
            break
          }
        }
        if (received === 0) throw new Error(`no message within ${ctx.timeoutMs} ms`)
      }
    } finally {
      // Not awaited: the answer does not depend on it, and the server removes it anyway once inactive.
      ctx.jsm.consumers.delete(ctx.streamName, name).catch(() => undefined)
    }
  })

/** Up to `limit` events of the log with position >= fromPosition, in order. */
export const readLog = (
  ctx: JetStreamContext,
  fromPosition: number,
  limit: number
): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> => {
  const events: Array<RecordedEvent> = []
  // One message more than `limit`: the first one may hold only events before fromPosition, and every
  // later one holds at least one event to return.
  return readMessages(ctx, allSubjects(ctx.subjectPrefix), sequenceOf(fromPosition), limit + 1, (msg) => {
    for (const event of decodeOr(msg.seq, () => recordedEvents(msg.seq, msg.headers, msg.data))) {
      if (event.position >= fromPosition && events.length < limit) events.push(event)
    }
    return events.length < limit
  }).pipe(Effect.as(events))
}

/**
 * The stream sequence of the first commit of `subject` holding a version >= fromVersion (0 if none),
 * found from the headers alone: reading a long stream (a terminal recording) in pieces does not
 * transfer the bodies of the commits before each piece again.
 */
const locateVersion = (ctx: JetStreamContext, subject: string, fromVersion: number): Effect.Effect<number, EventStoreUnavailable> => {
  let found = 0
  return readMessages(ctx, subject, 1, Number.MAX_SAFE_INTEGER, (msg) => {
    if (decodeOr(msg.seq, () => headOf(msg.seq, msg.headers)).version < fromVersion) return true
    found = msg.seq
    return false
  }, true).pipe(Effect.map(() => found))
}

/**
 * A stream's events with version >= fromVersion, at most `limit` (all when undefined). Also refreshes
 * the stream's cached head, which the next append to it will most likely need.
 */
export const readStreamEvents = (
  ctx: JetStreamContext,
  stream: string,
  subject: string,
  fromVersion: number,
  limit: number | undefined
): Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable> =>
  Effect.gen(function*() {
    const startSeq = fromVersion > 1 ? yield* locateVersion(ctx, subject, fromVersion) : 1
    if (startSeq === 0) return []
    const max = limit ?? Number.MAX_SAFE_INTEGER
    const events: Array<RecordedEvent> = []
    let last: CommitHead | undefined
    yield* readMessages(ctx, subject, startSeq, max, (msg) => {
      const recorded = decodeOr(msg.seq, () => recordedEvents(msg.seq, msg.headers, msg.data))
      last = decodeOr(msg.seq, () => headOf(msg.seq, msg.headers))
      for (const event of recorded) {
        if (event.stream !== stream) throw corrupt(msg.seq, `it belongs to stream ${event.stream}, not ${stream}`)
        if (event.version >= fromVersion && events.length < max) events.push(event)
      }
      return events.length < max
    })
    if (last !== undefined) ctx.heads.advance(subject, last)
    return events
  })

/** Position of the last event of the whole log; 0 when it is empty. */
export const readHeadPosition = (ctx: JetStreamContext): Effect.Effect<number, EventStoreUnavailable> =>
  Effect.map(readHead(ctx, allSubjects(ctx.subjectPrefix)), lastPositionOf)
