import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"

/**
 * Schedules of interval and cron triggers, one stream per process trigger. Stream
 * `schedule-<domain>-<process>#<trigger index>`. A slot fires once across every node: the second
 * node's claim of the same slot conflicts (the store's expected-version check, then the decider).
 */
export const SCHEDULE_CATEGORY = "schedule"

export const ScheduleFired = EventSchema("ScheduleFired", {
  process: Schema.String,
  trigger: Schema.Number.annotate({ description: "The trigger's index in the process's triggers." }),
  slot: Schema.Number.annotate({ description: "The due time claimed, in milliseconds since the epoch: the same on every node." }),
  missed: Schema.optionalKey(Schema.Boolean.annotate({ description: "True when the slot was due while the server was down and fires once at start." }))
}, "A node claimed one due time of an interval or cron trigger and runs the process for it.")
export type ScheduleFired = typeof ScheduleFired.Type

export type ScheduleEvent = ScheduleFired

export const SCHEDULE_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: ScheduleEvent }> = [ScheduleFired]
