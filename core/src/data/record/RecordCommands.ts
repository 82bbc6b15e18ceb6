import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../../decider/Schemas.js"
import { ActorRefSchema } from "../../eventstore/EventEnvelope.js"
import { RecordData } from "./RecordEvents.js"

/**
 * The records hot path decodes every `createRecord`: these Schemas check the envelope of the payload
 * (names, creator, key) and only that `data` is an object, never its contents (see `RecordData`).
 */
const idempotencyKey = Schema.optional(Schema.String)
/** `<kind>:<id>` of the only creator whose records the caller may change (a caller limited to its own records). */
const requireCreator = Schema.optional(Schema.String)

export const CreateRecord = CommandSchema("createRecord", {
  table: Schema.String,
  id: Schema.String,
  data: RecordData,
  creator: ActorRefSchema,
  idempotencyKey
})
export type CreateRecord = typeof CreateRecord.Type

/** `changes` are merged into the record's data (SPEC §6: partial update). */
export const UpdateRecord = CommandSchema("updateRecord", { changes: RecordData, requireCreator, idempotencyKey })
export type UpdateRecord = typeof UpdateRecord.Type

export const DeleteRecord = CommandSchema("deleteRecord", { requireCreator, idempotencyKey })
export type DeleteRecord = typeof DeleteRecord.Type

export type RecordCommand = CreateRecord | UpdateRecord | DeleteRecord

export const RECORD_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: RecordCommand }> = [CreateRecord, UpdateRecord, DeleteRecord]
