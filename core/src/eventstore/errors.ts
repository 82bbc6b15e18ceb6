import { Schema } from "effect"

const ExpectedVersionSchema = Schema.Union([Schema.Literals(["any", "no_stream", "exists"]), Schema.Number])

/** The stream was not at the version the appender expected; `actual` lets the caller reload and retry. */
export class WrongExpectedVersion extends Schema.TaggedError<WrongExpectedVersion>()("WrongExpectedVersion", {
  stream: Schema.String,
  expected: ExpectedVersionSchema,
  actual: Schema.Number
}) {
  override get message(): string {
    return `stream ${this.stream} is at version ${this.actual}, expected ${String(this.expected)}`
  }
}

/**
 * The store cannot be reached or has failed; the operation may be retried later. `outcomeUnknown`
 * marks an append that was sent but not acknowledged (the connection dropped or the acknowledgement
 * timed out): it may have been stored. Without it, the append surely stored nothing.
 */
export class EventStoreUnavailable extends Schema.TaggedError<EventStoreUnavailable>()("EventStoreUnavailable", {
  reason: Schema.String,
  outcomeUnknown: Schema.optional(Schema.Boolean)
}) {
  override get message(): string {
    return `event store unavailable: ${this.reason}${this.outcomeUnknown === true ? " (the append may have been stored)" : ""}`
  }
}
