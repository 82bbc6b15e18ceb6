import {
  type AppendResult,
  type EventStoreUnavailable,
  type ExpectedVersion,
  matchesExpectedVersion,
  WrongExpectedVersion
} from "@machhub/core"
import { JetStreamApiCodes, JetStreamApiError, type PubAck } from "@nats-io/jetstream"
import { Effect } from "effect"
import type { ValidAppend } from "./appendInput.js"
import { type CommitHead, commitHeaders, decodeCommit, emptyHead, encodeCommit, headOf, lastPositionOf } from "./commitMessage.js"
import { contended, invalid, publishMayHaveStored } from "./failures.js"
import { type JetStreamContext, natsCall } from "./JetStreamContext.js"
import { positionOf } from "./positions.js"
import { sameAppend, type StoredAppend } from "./RecentAppends.js"
import { decodeEffect, readHead, readStoredMessage } from "./reads.js"

/**
 * Appends to "any" or "exists" re-read the head and try again when another writer got in first; past
 * this many lost races the store is too contended to promise anything.
 */
const MAX_RACES = 100

/** Room for the headers and the protocol line next to the body, when checking NATS's max_payload. */
const HEADER_ALLOWANCE = 512

/** A head as known: read now from the server (authoritative), or remembered (only a guess to try). */
interface KnownHead {
  readonly head: CommitHead
  readonly fresh: boolean
}

type Published =
  | { readonly kind: "stored"; readonly ack: PubAck }
  | { readonly kind: "wrong-last-sequence" }

const resultOf = (head: CommitHead, duplicate: boolean): AppendResult => ({
  version: head.version,
  firstPosition: positionOf(head.seq, 0),
  position: lastPositionOf(head),
  duplicate
})

const reusedIds = (stream: string, id: string, stored: StoredAppend): EventStoreUnavailable =>
  invalid(
    `event id ${id} (append to stream ${stream}) is already stored in stream ${stored.stream} (commit ` +
      `${stored.head.seq}); an append must be either entirely new or an exact repeat of an earlier one`
  )

const isWrongLastSequence = (error: unknown): boolean =>
  error instanceof JetStreamApiError &&
  (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)

/** The head the first attempt assumes, reading it only when the expectation needs it. */
const initialHead = (ctx: JetStreamContext, subject: string, expected: ExpectedVersion): Effect.Effect<KnownHead, EventStoreUnavailable> => {
  // A new stream needs no read: expecting sequence 0 is the check.
  if (expected === "no_stream" || expected === 0) return Effect.succeed({ head: emptyHead, fresh: false })
  const cached = ctx.heads.get(subject)
  if (cached !== undefined && (typeof expected !== "number" || cached.version === expected)) {
    return Effect.succeed({ head: cached, fresh: false })
  }
  return freshHead(ctx, subject)
}

const freshHead = (ctx: JetStreamContext, subject: string): Effect.Effect<KnownHead, EventStoreUnavailable> =>
  readHead(ctx, subject).pipe(
    Effect.tap((head) => Effect.sync(() => ctx.heads.advance(subject, head))),
    Effect.map((head) => ({ head, fresh: true }))
  )

/**
 * Publishes the commit after `head`: `Nats-Expected-Last-Subject-Sequence` makes the server refuse it
 * if anything was appended to the stream since, so the version written in its header is right.
 */
const publish = (
  ctx: JetStreamContext,
  subject: string,
  body: Uint8Array,
  request: ValidAppend,
  head: CommitHead
): Effect.Effect<Published, EventStoreUnavailable> =>
  natsCall(ctx, `appending to ${request.stream}`, () =>
    ctx.js.publish(subject, body, {
      msgID: request.events[0]!.id,
      expect: { lastSubjectSequence: head.seq },
      headers: commitHeaders(head.version + request.events.length, request.events),
      timeout: ctx.timeoutMs
    }).then(
      (ack): Published => ({ kind: "stored", ack }),
      (error: unknown): Published => {
        if (isWrongLastSequence(error)) return { kind: "wrong-last-sequence" }
        throw error
      }
    ), publishMayHaveStored)

/**
 * The server holds a commit that may be this append (a duplicate `Nats-Msg-Id`, or the stream's head
 * carrying our first id): it is answered as a duplicate only if it is exactly this append.
 */
const answerStored = (
  ctx: JetStreamContext,
  request: ValidAppend,
  ids: ReadonlyArray<string>,
  seq: number
): Effect.Effect<AppendResult, EventStoreUnavailable> =>
  Effect.gen(function*() {
    const message = yield* readStoredMessage(ctx, seq)
    if (message === null) return yield* invalid(`event id ${ids[0]} was stored at sequence ${seq}, which is gone`)
    const head = yield* decodeEffect(seq, () => headOf(seq, message.header))
    const body = yield* decodeEffect(seq, () => decodeCommit(message.data))
    const stored: StoredAppend = { stream: body.stream, ids: body.events.map((e) => e.id), head }
    if (!sameAppend(stored, request.stream, ids)) {
      if (stored.stream !== request.stream) return yield* reusedIds(request.stream, ids[0]!, stored)
      return yield* invalid(
        `append to stream ${request.stream} repeats some event ids of an earlier append but not all of them, in order`
      )
    }
    ctx.recent.remember(stored)
    return resultOf(head, true)
  })

/**
 * One append = one message. Idempotency: an exact repeat of a stored append is answered with its
 * original result (`duplicate: true`), found in this process's memory of recent appends, through
 * JetStream's `Nats-Msg-Id` de-duplication within the duplicate window, or as the stream's last commit.
 */
export const appendCommit = (
  ctx: JetStreamContext,
  subject: string,
  request: ValidAppend
): Effect.Effect<AppendResult, WrongExpectedVersion | EventStoreUnavailable> =>
  Effect.gen(function*() {
    const { events, expected, stream } = request
    if (events.length === 0) {
      // Nothing to write, but the expectation is still checked, against the server's head.
      const { head } = yield* freshHead(ctx, subject)
      if (!matchesExpectedVersion(expected, head.version)) {
        return yield* new WrongExpectedVersion({ stream, expected, actual: head.version })
      }
      return { version: head.version, firstPosition: lastPositionOf(head), position: lastPositionOf(head), duplicate: false }
    }

    const ids = events.map((e) => e.id)
    const recalled = ctx.recent.recall(stream, ids)
    if (recalled.kind === "repeat") return resultOf(recalled.stored.head, true)
    if (recalled.kind === "reused") return yield* reusedIds(stream, recalled.id, recalled.stored)

    const body = yield* Effect.try({
      try: () => encodeCommit(stream, events),
      catch: (error) => invalid(`the events of an append to stream ${stream} cannot be encoded: ${String(error)}`)
    })
    const maxPayload = ctx.client.connection.info?.max_payload
    if (maxPayload !== undefined && body.byteLength + HEADER_ALLOWANCE > maxPayload) {
      return yield* invalid(
        `an append to stream ${stream} encodes to ${body.byteLength} bytes; NATS takes at most ${maxPayload} per message`
      )
    }

    let known = yield* initialHead(ctx, subject, expected)
    for (let races = 0;; races++) {
      if (!matchesExpectedVersion(expected, known.head.version)) {
        // Only the server's word decides a conflict; a remembered head is read again first.
        if (!known.fresh) {
          known = yield* freshHead(ctx, subject)
          continue
        }
        // Our own earlier attempt may be that head (a retry after a lost acknowledgement).
        if (known.head.firstId === ids[0]) return yield* answerStored(ctx, request, ids, known.head.seq)
        return yield* new WrongExpectedVersion({ stream, expected, actual: known.head.version })
      }
      if (races >= MAX_RACES) {
        return yield* contended(stream, MAX_RACES)
      }
      const published = yield* publish(ctx, subject, body, request, known.head)
      if (published.kind === "stored") {
        if (published.ack.duplicate) return yield* answerStored(ctx, request, ids, published.ack.seq)
        const head: CommitHead = {
          seq: published.ack.seq,
          version: known.head.version + events.length,
          count: events.length,
          firstId: ids[0]
        }
        ctx.heads.advance(subject, head)
        ctx.recent.remember({ stream, ids, head })
        return resultOf(head, false)
      }
      // Someone appended since `known`: read the real head; the loop decides between retry and conflict.
      known = yield* freshHead(ctx, subject)
      if (known.head.firstId === ids[0]) return yield* answerStored(ctx, request, ids, known.head.seq)
    }
  })
