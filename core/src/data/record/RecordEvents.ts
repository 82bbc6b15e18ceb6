import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../../decider/Schemas.js"
import { ActorRefSchema } from "../../eventstore/EventEnvelope.js"

/** A record's own fields: a JSON object. */
export type RecordData = Readonly<Record<string, unknown>>

const isRecordData = (value: unknown): value is RecordData => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A record's own fields. Checked for being a JSON object, never walked: the collection's JSON Schema
 * (if it has one) judged the contents at the edge, and walking every value of every record again on
 * the write path would cost the records hot path what it cannot afford.
 */
export const RecordData = Schema.declare(isRecordData, {
  identifier: "RecordData",
  description: "A record's own fields: a JSON object (its contents are checked by the collection's schema, if any)."
})

const idempotencyKey = Schema.optionalKey(Schema.String.annotate({
  description: "The request's Idempotency-Key: a retry with it appends nothing and is answered as the first time."
}))

export const RecordCreated = EventSchema("RecordCreated", {
  table: Schema.String,
  id: Schema.String,
  data: RecordData,
  creator: ActorRefSchema.annotate({ description: "Who created the record: a caller limited to its own records may change only these." }),
  idempotencyKey
})
export type RecordCreated = typeof RecordCreated.Type

/** Only the fields that changed, with their new values (SPEC §6: partial merge). */
export const RecordUpdated = EventSchema("RecordUpdated", {
  table: Schema.String,
  id: Schema.String,
  changes: RecordData.annotate({ description: "Only the fields that changed, with their new values (a partial merge)." }),
  idempotencyKey
}, "Only the fields that changed, with their new values (SPEC §6: partial merge).")
export type RecordUpdated = typeof RecordUpdated.Type

export const RecordDeleted = EventSchema("RecordDeleted", {
  table: Schema.String,
  id: Schema.String,
  idempotencyKey
})
export type RecordDeleted = typeof RecordDeleted.Type

export type RecordEvent = RecordCreated | RecordUpdated | RecordDeleted

export const RECORD_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: RecordEvent }> = [RecordCreated, RecordUpdated, RecordDeleted]
