import type { EventStoreUnavailable, RecordedEvent } from "@machhub/core"
import { type Consumer, type ConsumerMessages, DeliverPolicy, type JsMsg } from "@nats-io/jetstream"
import { Effect, Option, Stream } from "effect"
import { recordedEvents } from "./commitMessage.js"
import { type JetStreamContext, natsCall } from "./JetStreamContext.js"
import { sequenceOf } from "./positions.js"
import { decodeEffect } from "./reads.js"
import { allSubjects } from "./subjects.js"

/**
 * Messages per pull. Each pull is drained before the next is made, so a slow subscriber holds at most
 * this many messages (nats.js's `consume()` would keep pulling whatever the subscriber's pace). 512
 * catches up ~1.3x faster than 256 and holds at most 256 MiB of the largest appends (terminal
 * recordings); typical appends are a few hundred bytes.
 */
const PULL_BATCH = 512
/** How long one pull stays open on a quiet log; messages are handed over as they arrive, not at its end. */
const PULL_EXPIRES_MS = 30_000
/** The server removes the consumer of a subscriber that vanished (crash) after this long. */
const CONSUMER_INACTIVE_MS = 60_000

/** How many messages already delivered to this process one step of a subscription hands over at most. */
const MAX_MESSAGES_PER_STEP = 256

const NOTHING_BUFFERED = Symbol("nothing buffered")

/** Resolves after the promise callbacks already due have run: what a pull has buffered is there by then. */
const afterBufferedDeliveries = (): Promise<typeof NOTHING_BUFFERED> =>
  new Promise((resolve) => setImmediate(() => resolve(NOTHING_BUFFERED)))

/**
 * One subscriber's position in the log: an ordered consumer (nats.js re-creates it from the last
 * delivered sequence if a delivery is missed), read through successive bounded pulls.
 */
class LogCursor {
  private batch: ConsumerMessages | undefined
  private iterator: AsyncIterator<JsMsg> | undefined
  /** A `next()` of the iterator still outstanding (a step stopped waiting for it, nothing consumed it). */
  private pending: Promise<IteratorResult<JsMsg>> | undefined
  private ended = false

  constructor(private readonly consumer: Consumer) {}

  private async step(): Promise<IteratorResult<JsMsg>> {
    if (this.iterator === undefined) {
      const batch = await this.consumer.fetch({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS })
      this.batch = batch
      this.iterator = batch[Symbol.asyncIterator]()
      // end() may have run while the pull was being set up.
      if (this.ended) batch.stop()
    }
    if (this.pending === undefined) {
      this.pending = this.iterator.next()
      // It may fail after the step that made it stopped waiting and before another takes it over
      // (or never, if the cursor is disposed first): not an unhandled rejection.
      this.pending.catch(() => undefined)
    }
    return this.pending
  }

  private consumed(step: IteratorResult<JsMsg>): JsMsg | undefined {
    this.pending = undefined
    if (!step.done) return step.value
    // This pull is over; the next step makes another.
    this.iterator = undefined
    this.batch = undefined
    return undefined
  }

  /**
   * The next messages: waits for one if the log has no more yet, then adds those already delivered
   * to this process (up to MAX_MESSAGES_PER_STEP) without waiting further, so that a subscriber
   * catching up or under load handles them together (one read-model transaction, not one each).
   * Empty once ended.
   */
  async next(): Promise<ReadonlyArray<JsMsg>> {
    const messages: Array<JsMsg> = []
    while (!this.ended && messages.length === 0) {
      const message = this.consumed(await this.step())
      if (message !== undefined) messages.push(message)
    }
    // One check for the whole step: deliveries already buffered resolve before it fires.
    const buffered = afterBufferedDeliveries()
    while (!this.ended && messages.length < MAX_MESSAGES_PER_STEP && this.iterator !== undefined) {
      const step = await Promise.race([this.step(), buffered])
      if (step === NOTHING_BUFFERED) break
      const message = this.consumed(step)
      if (message === undefined) break
      messages.push(message)
    }
    return this.ended ? [] : messages
  }

  /** Ends the cursor: a pending `next()` resolves with nothing. */
  end(): void {
    this.ended = true
    this.batch?.stop()
  }

  dispose(): void {
    this.end()
    // Not awaited: while NATS is down it would wait out its timeout, and the server drops the
    // consumer after CONSUMER_INACTIVE_MS anyway.
    this.consumer.delete().catch(() => undefined)
  }
}

const openCursor = (ctx: JetStreamContext, fromPosition: number): Effect.Effect<LogCursor, EventStoreUnavailable> =>
  natsCall(ctx, "subscribing to the log", () =>
    ctx.js.consumers.get(ctx.streamName, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: sequenceOf(fromPosition),
      filter_subjects: allSubjects(ctx.subjectPrefix),
      inactive_threshold: CONSUMER_INACTIVE_MS
    })).pipe(Effect.map((consumer) => new LogCursor(consumer)))

type Page = readonly [ReadonlyArray<RecordedEvent>, Option.Option<void>]

/**
 * Catch-up then live through ONE consumer that starts at the sequence holding `fromPosition`: the
 * server delivers the stored messages and then the new ones in stream order, so there is no switch
 * between a catch-up read and a live feed, hence no gap and no duplicate. Only the first message can
 * hold events before `fromPosition`; they are skipped.
 *
 * Ends cleanly when the store closes. Fails with EventStoreUnavailable when NATS is lost: the
 * subscriber resubscribes from its last position (as the projection runner does).
 */
export const subscribeToLog = (ctx: JetStreamContext, fromPosition: number): Stream.Stream<RecordedEvent, EventStoreUnavailable> =>
  Stream.unwrap(
    Effect.gen(function*() {
      const cursor = yield* Effect.acquireRelease(openCursor(ctx, fromPosition), (cursor) => Effect.sync(() => cursor.dispose()))
      const forget = ctx.lifecycle.whenClosed(() => cursor.end())
      yield* Effect.addFinalizer(() => Effect.sync(forget))
      return Stream.paginate(undefined, (): Effect.Effect<Page, EventStoreUnavailable> => {
        if (ctx.lifecycle.closed) return Effect.succeed<Page>([[], Option.none()])
        return natsCall(ctx, "reading the log", () => cursor.next()).pipe(
          Effect.flatMap((messages): Effect.Effect<Page, EventStoreUnavailable> =>
            messages.length === 0
              ? Effect.succeed<Page>([[], Option.none()])
              : Effect.forEach(messages, (msg) => decodeEffect(msg.seq, () => recordedEvents(msg.seq, msg.headers, msg.data))).pipe(
                Effect.map((decoded): Page => [decoded.flat().filter((e) => e.position >= fromPosition), Option.some(undefined)])
              )
          )
        )
      })
    })
  )
