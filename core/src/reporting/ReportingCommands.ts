import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { MachineTagBindings, ShiftDefinition } from "./ReportingEvents.js"

/**
 * Reporting machine commands. `name` is filled in from the stream (the aggregate id), never sent.
 * Shapes are checked here; the rules (times, bounds, lengths) are the decider's, which names the field.
 */
const name = Schema.String

/**
 * Registers (`create`: refused when the name is taken) or replaces (`replace`: refused when there is
 * none) a machine's whole definition.
 */
export const DefineReportingMachine = CommandSchema("defineReportingMachine", {
  name,
  mode: Schema.Literals(["create", "replace"]),
  machineRef: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String),
  tags: MachineTagBindings,
  idealCycleSeconds: Schema.optional(Schema.Number),
  shifts: Schema.optional(Schema.Array(ShiftDefinition))
})
export type DefineReportingMachine = typeof DefineReportingMachine.Type

export const RemoveReportingMachine = CommandSchema("removeReportingMachine", { name })
export type RemoveReportingMachine = typeof RemoveReportingMachine.Type

/** Says why a registered machine was down over a period (ISO 8601 times). */
export const AnnotateDowntime = CommandSchema("annotateDowntime", {
  name,
  start: Schema.String,
  end: Schema.String,
  reason: Schema.String
})
export type AnnotateDowntime = typeof AnnotateDowntime.Type

export type ReportingMachineCommand = DefineReportingMachine | RemoveReportingMachine | AnnotateDowntime

export const REPORTING_MACHINE_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: ReportingMachineCommand }> = [
  DefineReportingMachine,
  RemoveReportingMachine,
  AnnotateDowntime
]
