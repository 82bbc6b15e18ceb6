import { EventBus, type EventBusService, EventBusUnavailable, eventSubject, type RecordedEvent, subjectMatches } from "@machhub/core"
import { Effect, Layer, PubSub, type Scope, Stream } from "effect"

export interface InProcessEventBusOptions {
  /**
   * Events buffered for the slowest subscriber (default 4096). The PubSub uses the *sliding*
   * strategy: when a subscriber falls this far behind, its oldest unread events are dropped.
   * Publishing never waits for subscribers and memory stays bounded; a subscriber that must not
   * miss events reads the event store (by position) instead of relying on live delivery, which is
   * best-effort in-process just as core NATS is across processes.
   */
  readonly capacity?: number
}

export const DEFAULT_IN_PROCESS_EVENT_CAPACITY = 4096

/** A PubSub-backed event bus for a single process; shut down when the scope closes. */
export const makeInProcessEventBus = (
  options: InProcessEventBusOptions = {}
): Effect.Effect<EventBusService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const pubsub = yield* Effect.acquireRelease(
      PubSub.sliding<RecordedEvent>(options.capacity ?? DEFAULT_IN_PROCESS_EVENT_CAPACITY),
      PubSub.shutdown
    )

    const publish = Effect.fn("EventBus.publish")((events: ReadonlyArray<RecordedEvent>): Effect.Effect<void, EventBusUnavailable> =>
      events.length === 0
        ? Effect.void
        : PubSub.publishAll(pubsub, events).pipe(
          // false only once the PubSub is shut down: the bus's scope has closed.
          Effect.flatMap((accepted) =>
            accepted ? Effect.void : Effect.fail(new EventBusUnavailable({ message: "in-process event bus is shut down" }))
          )
        ))

    // Every subscriber sees every event and filters locally; matching is cheap next to the
    // handling it guards, and it keeps the PubSub a single shared buffer.
    const subscribe = (subjectPattern: string): Stream.Stream<RecordedEvent> =>
      Stream.fromPubSub(pubsub).pipe(Stream.filter((event) => subjectMatches(subjectPattern, eventSubject(event))))

    return { publish, subscribe } satisfies EventBusService
  })

/** `EventBus` served in-process for the lifetime of the layer. */
export const InProcessEventBusLayer = (options: InProcessEventBusOptions = {}): Layer.Layer<EventBus> =>
  Layer.effect(EventBus, makeInProcessEventBus(options))
