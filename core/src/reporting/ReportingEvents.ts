import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"

/** Machines registered for production reporting (SPEC §9), one stream per machine name. Stream `reporting_machine-<domain>-<name>`. */
export const REPORTING_MACHINE_CATEGORY = "reporting_machine"

/** The days of the week a shift may start on, as written in shift definitions. */
export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** The tags a reporting machine reads its signals from. */
export const MachineTagBindings = Schema.Struct({
  execution: Schema.String.annotate({ description: "Topic carrying MTConnect `Execution` values (`ACTIVE` = in cycle)." }),
  partCount: Schema.String.annotate({ description: "Topic carrying the part counter (a drop is a reset)." }),
  rejectCount: Schema.optionalKey(Schema.String.annotate({ description: "Topic carrying the reject counter (a drop is a reset)." })),
  alarm: Schema.optionalKey(Schema.String.annotate({ description: "Topic carrying the current alarm, if any." }))
}).annotate({
  identifier: "MachineTagBindings",
  description: "The tags a reporting machine reads its signals from, by role."
})
export type MachineTagBindings = typeof MachineTagBindings.Type

/** A planned working period, repeated on the given days; `end` at or before `start` crosses midnight. */
export const ShiftDefinition = Schema.Struct({
  name: Schema.String,
  start: Schema.String.annotate({ description: "Local start time `HH:MM` in the domain's time zone." }),
  end: Schema.String.annotate({ description: "Local end time `HH:MM`; at or before `start`: the shift ends the next day." }),
  days: Schema.optionalKey(Schema.Array(Schema.Literals(WEEKDAYS)).annotate({ description: "Days the shift starts on; absent: every day." }))
}).annotate({
  identifier: "ShiftDefinition",
  description: "A planned working period, repeated on the given days; `end` at or before `start` crosses midnight."
})
export type ShiftDefinition = typeof ShiftDefinition.Type

/** A reporting machine's definition as answered and projected. */
export interface ReportingMachineDefinition {
  readonly name: string
  readonly machineRef?: string
  readonly group?: string
  readonly tags: MachineTagBindings
  readonly idealCycleSeconds?: number
  readonly shifts: ReadonlyArray<ShiftDefinition>
}

/** The machine's whole definition, in full (not a diff): a first registration or a replacement. */
export const ReportingMachineDefined = EventSchema("ReportingMachineDefined", {
  name: Schema.String.annotate({ description: "The machine's name in its domain (also the stream id)." }),
  machineRef: Schema.optionalKey(Schema.String),
  group: Schema.optionalKey(Schema.String.annotate({ description: "The machine group reports may group and filter by." })),
  tags: MachineTagBindings,
  idealCycleSeconds: Schema.optionalKey(Schema.Number.annotate({ description: "Ideal time of one part, in seconds." })),
  shifts: Schema.Array(ShiftDefinition)
}, "A machine registered for production reporting, in full (not a diff): a first registration or a replacement.")
export type ReportingMachineDefined = typeof ReportingMachineDefined.Type

/** The machine is no longer reported on; its tags' history is not touched. */
export const ReportingMachineRemoved = EventSchema("ReportingMachineRemoved", {
  name: Schema.String
}, "The machine is no longer reported on; its tags' history and its downtime annotations' events stay in the log.")
export type ReportingMachineRemoved = typeof ReportingMachineRemoved.Type

/** A person said why the machine was down from `start` to `end`. */
export const DowntimeAnnotated = EventSchema("DowntimeAnnotated", {
  name: Schema.String.annotate({ description: "The machine's name." }),
  start: Schema.String.annotate({ description: "ISO 8601 time the annotated period starts." }),
  end: Schema.String.annotate({ description: "ISO 8601 time the annotated period ends (after `start`)." }),
  reason: Schema.String.annotate({ description: "Why the machine was down, as reports group it." })
}, "A person said why the machine was down from `start` to `end`; downtime reports group by this reason (downtime nobody annotated is `Uncategorized`).")
export type DowntimeAnnotated = typeof DowntimeAnnotated.Type

export type ReportingMachineEvent = ReportingMachineDefined | ReportingMachineRemoved | DowntimeAnnotated

export const REPORTING_MACHINE_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: ReportingMachineEvent }> = [
  ReportingMachineDefined,
  ReportingMachineRemoved,
  DowntimeAnnotated
]
