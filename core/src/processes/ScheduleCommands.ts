import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"

/** Claims one due time (slot) of a schedule; refused `conflict` when that slot or a later one fired. */
export const FireSchedule = CommandSchema("fireSchedule", {
  process: Schema.String,
  trigger: Schema.Number,
  slot: Schema.Number,
  missed: Schema.optional(Schema.Boolean)
})
export type FireSchedule = typeof FireSchedule.Type

export type ScheduleCommand = FireSchedule

export const SCHEDULE_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: ScheduleCommand }> = [FireSchedule]
