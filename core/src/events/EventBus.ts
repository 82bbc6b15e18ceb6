import { Context, type Effect, Schema, type Stream } from "effect"
import type { RecordedEvent } from "../eventstore/EventEnvelope.js"

/**
 * Publishes committed events to other services and lets this process listen to them:
 * in-process (PubSub) or NATS subjects `mh.evt.<domain>.<category>.<EventType>`.
 * Publication happens after commit, at least once; consumers de-duplicate by event id.
 */
export interface EventBusService {
  publish(events: ReadonlyArray<RecordedEvent>): Effect.Effect<void, EventBusUnavailable>
  /** Live events whose subject matches a NATS-style pattern (`*` one token, `>` the rest). */
  subscribe(subjectPattern: string): Stream.Stream<RecordedEvent>
}

export class EventBusUnavailable extends Schema.TaggedError<EventBusUnavailable>()("EventBusUnavailable", {
  message: Schema.String
}) {}

export class EventBus extends Context.Service<EventBus, EventBusService>()("@machhub/core/EventBus") {}

/** `mh.evt.<domain>.<category>.<EventType>` for an event of stream `<category>-<domain>-<id>`. */
export const eventSubject = (event: Pick<RecordedEvent, "stream" | "type" | "meta">): string => {
  const dash = event.stream.indexOf("-")
  const category = dash > 0 ? event.stream.slice(0, dash) : event.stream
  return `mh.evt.${event.meta.domain}.${category}.${event.type}`
}

/** NATS subject matching: tokens separated by ".", `*` matches one token, a final `>` matches one or more. */
export const subjectMatches = (pattern: string, subject: string): boolean => {
  const p = pattern.split(".")
  const s = subject.split(".")
  for (let i = 0; i < p.length; i++) {
    const token = p[i]
    if (token === ">") return s.length > i
    if (i >= s.length) return false
    if (token !== "*" && token !== s[i]) return false
  }
  return p.length === s.length
}
