import { fromDecider } from "../decider/fromDecider.js"
import { SCHEDULE_COMMANDS } from "./ScheduleCommands.js"
import { scheduleDecider } from "./ScheduleDecider.js"
import { SCHEDULE_CATEGORY, SCHEDULE_EVENTS } from "./ScheduleEvents.js"

/** The aggregate id of one trigger's schedule. */
export const scheduleAggregateId = (process: string, trigger: number): string => `${process}#${trigger}`

/** Interval and cron schedules: which node runs a due slot is decided by who appends its claim first. */
export const scheduleAggregate = fromDecider({
  category: SCHEDULE_CATEGORY,
  decider: scheduleDecider,
  commands: SCHEDULE_COMMANDS,
  events: SCHEDULE_EVENTS
})
