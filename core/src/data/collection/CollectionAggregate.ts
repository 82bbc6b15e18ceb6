import { Result, Schema } from "effect"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { CommandSchema, EventSchema } from "../../decider/Schemas.js"

/** Collection definitions. Stream `collection-<domain>-<table>`. */
export const COLLECTION_CATEGORY = "collection"

/**
 * Who sees what in a collection. `owner`: what a caller whose permission scope is only `self` may
 * read — its own records ("self") or every record ("domain"); writes by such callers are always
 * limited to their own records. `publicRead`/`publicWrite`: anonymous callers may read / write
 * (Machinable's "authentication disabled"), recorded as actor `anonymous`.
 */
export const CollectionAccess = Schema.Struct({
  owner: Schema.Literals(["self", "domain"]),
  publicRead: Schema.Boolean,
  publicWrite: Schema.Boolean
}).annotate({
  identifier: "CollectionAccess",
  description:
    "Who sees what in a collection. `owner`: what a caller whose permission scope is only `self` may read — its own records (\"self\") or every record (\"domain\"); writes by such callers are always limited to their own records. `publicRead`/`publicWrite`: anonymous callers may read / write (Machinable's \"authentication disabled\"), recorded as actor `anonymous`."
})
export type CollectionAccess = typeof CollectionAccess.Type

export const DEFAULT_ACCESS: CollectionAccess = { owner: "self", publicRead: false, publicWrite: false }

/** A JSON Schema (draft 2020-12 subset as supported by the validator) every record must match, or null. */
const RecordSchema = Schema.Unknown.annotate({
  description: "A JSON Schema (draft 2020-12 subset as supported by the validator) every record must match, or null."
})

export const CollectionDefined = EventSchema("CollectionDefined", {
  table: Schema.String,
  schema: RecordSchema,
  access: CollectionAccess
})
export type CollectionDefined = typeof CollectionDefined.Type

/**
 * Defines (or redefines) the collection its stream names: `table` comes from the envelope, never from
 * the payload. Without a schema, records are not checked. The JSON Schema itself was compiled and
 * judged at the edge.
 */
export const DefineCollectionPayload = CommandSchema("defineCollection", {
  table: Schema.String,
  schema: Schema.optional(RecordSchema),
  access: CollectionAccess
})

/** What the decider sees: null for no schema. */
export interface DefineCollection {
  readonly type: "defineCollection"
  readonly table: string
  readonly schema: unknown
  readonly access: CollectionAccess
}

/** Not defined yet, or defined with its latest schema and access (a definition is never removed). */
export type CollectionState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Defined"; readonly schema: unknown; readonly access: CollectionAccess }

export const collectionDecider: Decider<CollectionState, DefineCollection, CollectionDefined> = {
  initialState: () => ({ _tag: "Absent" }),
  evolve: (_, event) => ({ _tag: "Defined", schema: event.data.schema, access: event.data.access }),
  decide: (command, state) =>
    state._tag === "Defined" && JSON.stringify(state.schema) === JSON.stringify(command.schema) &&
      JSON.stringify(state.access) === JSON.stringify(command.access)
      ? Result.succeed([]) // redefining it as it is changes nothing
      : Result.succeed([{ type: "CollectionDefined", data: { table: command.table, schema: command.schema, access: command.access } }])
}

export const collectionAggregate = fromDecider({
  category: COLLECTION_CATEGORY,
  decider: collectionDecider,
  commands: [DefineCollectionPayload],
  events: [CollectionDefined],
  fromEnvelope: (command) => ({ table: command.aggregateId }),
  // An absent schema and a null one are the same definition (a redefinition compares them).
  toCommand: (decoded): DefineCollection => ({ ...decoded, schema: decoded.schema ?? null }),
  reply: (state) => (state._tag === "Defined" ? { schema: state.schema, access: state.access } : { schema: null, access: DEFAULT_ACCESS })
})
