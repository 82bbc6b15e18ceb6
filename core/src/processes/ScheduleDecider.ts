import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { ScheduleCommand } from "./ScheduleCommands.js"
import type { ScheduleEvent } from "./ScheduleEvents.js"

/** A schedule: never fired, or the last slot fired. */
export type ScheduleState = { readonly _tag: "Idle" } | { readonly _tag: "Fired"; readonly slot: number }

const IDLE: ScheduleState = Object.freeze({ _tag: "Idle" })

const evolve = (_: ScheduleState, event: ScheduleEvent): ScheduleState => ({ _tag: "Fired", slot: event.data.slot })

const decide = (command: ScheduleCommand, state: ScheduleState): Result.Result<ReadonlyArray<ScheduleEvent>, CommandRejected> => {
  if (state._tag === "Fired" && state.slot >= command.slot) {
    return Result.fail(new CommandRejected({ reason: "conflict", message: `slot ${new Date(command.slot).toISOString()} of ${command.process} has fired already` }))
  }
  return Result.succeed([{
    type: "ScheduleFired",
    data: { process: command.process, trigger: command.trigger, slot: command.slot, ...(command.missed === true ? { missed: true } : {}) }
  }])
}

export const scheduleDecider: Decider<ScheduleState, ScheduleCommand, ScheduleEvent> = { initialState: () => IDLE, evolve, decide }
