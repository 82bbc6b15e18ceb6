import { Result } from "effect"
import type { Command } from "../../commands/Command.js"
import type { Decider, DomainEvent } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"

/** Collection definitions. Stream `collection-<domain>-<table>`. */
export const COLLECTION_CATEGORY = "collection"

/**
 * Who sees what in a collection. `owner`: what a caller whose permission scope is only `self` may
 * read — its own records ("self") or every record ("domain"); writes by such callers are always
 * limited to their own records. `publicRead`/`publicWrite`: anonymous callers may read / write
 * (Machinable's "authentication disabled"), recorded as actor `anonymous`.
 */
export interface CollectionAccess {
  readonly owner: "self" | "domain"
  readonly publicRead: boolean
  readonly publicWrite: boolean
}

export const DEFAULT_ACCESS: CollectionAccess = { owner: "self", publicRead: false, publicWrite: false }

export type CollectionDefined = DomainEvent<"CollectionDefined", {
  readonly table: string
  /** A JSON Schema (draft 2020-12 subset as supported by the validator) every record must match, or null. */
  readonly schema: unknown
  readonly access: CollectionAccess
}>

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
  toCommand: (command: Command): DefineCollection | undefined => {
    const payload = command.payload as { schema?: unknown; access?: CollectionAccess }
    if (command.type !== "defineCollection" || payload === null || typeof payload !== "object" || payload.access === undefined) return undefined
    return { type: "defineCollection", table: command.aggregateId, schema: payload.schema ?? null, access: payload.access }
  },
  reply: (state) => (state._tag === "Defined" ? { schema: state.schema, access: state.access } : { schema: null, access: DEFAULT_ACCESS })
})
