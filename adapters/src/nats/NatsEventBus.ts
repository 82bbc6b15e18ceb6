import { EventBus, type EventBusService, EventBusUnavailable, eventSubject, type RecordedEvent } from "@machhub/core"
import { headers, type Msg } from "@nats-io/transport-node"
import { Effect, Layer, Queue, Schema, Stream } from "effect"
import { CONTENT_TYPE_HEADER, contentTypes, decodeBody, encodeBody, formatOfContentType, type WireFormat } from "./codec.js"
import { Nats, type NatsClient } from "./NatsClient.js"
import { RecordedEventSchema } from "./wire.js"

export interface NatsEventBusOptions {
  /** Body encoding of published events (default "msgpack"). Subscribers read either, by Content-Type. */
  readonly format?: WireFormat
  /** How long publish waits for the server to acknowledge the batch (a flush), in ms (default 5 s). */
  readonly publishTimeout?: number
  /**
   * Events buffered per subscription for a slow consumer (default 4096). Beyond that the oldest are
   * dropped (sliding), so a stalled consumer cannot grow memory; core NATS delivery is best-effort anyway.
   */
  readonly subscriberBuffer?: number
}

/** Header carrying the event id: JetStream de-duplicates on it should a stream capture `mh.evt.>`. */
export const MSG_ID_HEADER = "Nats-Msg-Id"
export const DEFAULT_EVENT_PUBLISH_TIMEOUT_MS = 5_000
export const DEFAULT_EVENT_SUBSCRIBER_BUFFER = 4096

const decodeEventBody = Schema.decodeUnknownEffect(RecordedEventSchema)

const unavailable = (message: string) => new EventBusUnavailable({ message })

/**
 * Events on core NATS subjects `mh.evt.<domain>.<category>.<EventType>`.
 *
 * `publish` refuses at once while disconnected (nats.js would otherwise buffer silently) and then
 * flushes, so success means the server has the events; a failure may still have delivered some of
 * them, which the at-least-once contract allows (consumers de-duplicate by event id).
 */
export const makeNatsEventBus = (client: NatsClient, options: NatsEventBusOptions = {}): EventBusService => {
  const format = options.format ?? "msgpack"
  const publishTimeout = options.publishTimeout ?? DEFAULT_EVENT_PUBLISH_TIMEOUT_MS
  const bufferSize = options.subscriberBuffer ?? DEFAULT_EVENT_SUBSCRIBER_BUFFER

  const publishOne = (event: RecordedEvent) => {
    const h = headers()
    h.set(MSG_ID_HEADER, event.id)
    h.set(CONTENT_TYPE_HEADER, contentTypes[format])
    client.connection.publish(eventSubject(event), encodeBody(format, event), { headers: h })
  }

  const publish = Effect.fn("EventBus.publish")((events: ReadonlyArray<RecordedEvent>): Effect.Effect<void, EventBusUnavailable> =>
    Effect.suspend(() => {
      if (events.length === 0) return Effect.void
      if (!client.isConnected()) return Effect.fail(unavailable("event bus unavailable: NATS is disconnected"))
      return Effect.try({
        try: () => events.forEach(publishOne),
        catch: (error) => unavailable(`events could not be published: ${error instanceof Error ? error.message : String(error)}`)
      }).pipe(
        Effect.andThen(
          Effect.tryPromise({
            try: () => client.connection.flush(),
            catch: () => unavailable("event bus unavailable: connection lost while publishing")
          })
        ),
        Effect.raceFirst(
          client.awaitDisconnected.pipe(Effect.andThen(Effect.fail(unavailable("event bus unavailable: connection lost while publishing"))))
        ),
        Effect.timeoutOrElse({
          duration: publishTimeout,
          orElse: () => Effect.fail(unavailable(`event bus unavailable: no acknowledgement within ${publishTimeout} ms`))
        })
      )
    }))

  /** Undecodable messages (foreign publishers, wrong format) are logged and skipped, never fatal. */
  const decode = (msg: Msg): Effect.Effect<RecordedEvent | undefined> =>
    Effect.suspend(() => {
      const bodyFormat = formatOfContentType(msg.headers?.get(CONTENT_TYPE_HEADER)) ?? format
      return Effect.try({
        try: () => decodeBody(bodyFormat, msg.data),
        catch: (error) => `not ${bodyFormat}: ${error instanceof Error ? error.message : String(error)}`
      }).pipe(
        Effect.flatMap((body) => Effect.mapError(decodeEventBody(body), (error) => `not an event: ${error.message}`)),
        Effect.catch((reason) => Effect.logWarning(`skipping undecodable message on ${msg.subject}: ${reason}`).pipe(Effect.as(undefined)))
      )
    })

  const subscribe = (subjectPattern: string): Stream.Stream<RecordedEvent> =>
    Stream.callback<Msg>(
      (queue) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const subscription = client.connection.subscribe(subjectPattern, {
              callback: (error, msg) => {
                if (error === null) Queue.offerUnsafe(queue, msg)
              }
            })
            // The subscription ends with the connection: end the stream rather than hang.
            void subscription.closed.then(() => Queue.endUnsafe(queue))
            return subscription
          }),
          (subscription) => Effect.sync(() => subscription.unsubscribe())
        ),
      { bufferSize, strategy: "sliding" }
    ).pipe(
      Stream.mapEffect(decode),
      Stream.filter((event): event is RecordedEvent => event !== undefined)
    )

  return { publish, subscribe }
}

/** `EventBus` over the process's `Nats` connection. */
export const NatsEventBusLayer = (options: NatsEventBusOptions = {}): Layer.Layer<EventBus, never, Nats> =>
  Layer.effect(EventBus, Nats.useSync((client) => makeNatsEventBus(client, options)))
