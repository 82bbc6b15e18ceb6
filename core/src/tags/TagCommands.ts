import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { TagAccess } from "./TagEvents.js"

/**
 * Tag commands. `topic` is filled in from the stream (the aggregate id), never sent. Topic names are
 * checked at the edge (MQTT rules); durations, lengths and the historize rules are the decider's.
 */
const topic = Schema.String

/**
 * Historize settings as a caller sends them: durations still unparsed (the decider judges them and
 * names the field at fault), `""` standing for absent (what a form sends for an empty field).
 */
export const HistorizeInput = Schema.Struct({
  type: Schema.Literals(["event", "timeseries"]),
  samplingTime: Schema.optional(Schema.String),
  retention: Schema.optional(Schema.String)
})
export type HistorizeInput = typeof HistorizeInput.Type

/**
 * Defines or redefines a tag. `description` absent: none. `historize` absent: the current settings
 * stay; `null`: the tag stops being historized. `mayHistorize`: the caller holds
 * `historian:read-write`, without which the historize settings cannot change.
 */
export const DefineTag = CommandSchema("defineTag", {
  topic,
  description: Schema.optional(Schema.String),
  access: TagAccess,
  historize: Schema.optional(Schema.NullOr(HistorizeInput)),
  mayHistorize: Schema.optional(Schema.Boolean)
})
export type DefineTag = typeof DefineTag.Type

/** A value reached the topic: defines it (access RW, not historized) unless it is defined already. */
export const EnsureTag = CommandSchema("ensureTag", { topic })
export type EnsureTag = typeof EnsureTag.Type

/** Removes the definition; a historized tag only with `mayHistorize` (its history settings go with it). */
export const RemoveTag = CommandSchema("removeTag", { topic, mayHistorize: Schema.optional(Schema.Boolean) })
export type RemoveTag = typeof RemoveTag.Type

export type TagCommand = DefineTag | EnsureTag | RemoveTag

export const TAG_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: TagCommand }> = [DefineTag, EnsureTag, RemoveTag]
