import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { ReportingMachineCommand, DefineReportingMachine } from "./ReportingCommands.js"
import type { ReportingMachineDefinition, ReportingMachineEvent, ShiftDefinition } from "./ReportingEvents.js"

/** Bounds that keep a definition a definition (not a data store): names, shifts, reasons. */
export const MAX_REPORTING_TEXT = 200
export const MAX_SHIFTS = 20
export const MAX_IDEAL_CYCLE_SECONDS = 86_400

/** A reporting machine's lifecycle: never registered, registered, or removed (a name may be registered again). */
export type ReportingMachineState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Registered"; readonly definition: ReportingMachineDefinition }
  | { readonly _tag: "Removed"; readonly name: string }

const ABSENT: ReportingMachineState = Object.freeze({ _tag: "Absent" })

const evolve = (state: ReportingMachineState, event: ReportingMachineEvent): ReportingMachineState => {
  switch (event.type) {
    case "ReportingMachineDefined":
      return { _tag: "Registered", definition: event.data }
    case "ReportingMachineRemoved":
      return { _tag: "Removed", name: event.data.name }
    case "DowntimeAnnotated":
      return state
  }
}

const unprocessable = (message: string) => Result.fail(new CommandRejected({ reason: "unprocessable", message }))

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/

/** What is wrong with a text field, if anything. */
const badText = (field: string, value: string, max: number): string | undefined =>
  value.length === 0 ? `${field} is empty` : value.length > max ? `${field} is ${value.length} characters long; at most ${max} are allowed` : undefined

const badShift = (shift: ShiftDefinition, index: number): string | undefined => {
  const at = `shifts[${index}]`
  const name = badText(`${at}.name`, shift.name, MAX_REPORTING_TEXT)
  if (name !== undefined) return name
  if (!HH_MM.test(shift.start)) return `${at}.start must be a local time HH:MM (00:00 to 23:59), not ${JSON.stringify(shift.start)}`
  if (!HH_MM.test(shift.end)) return `${at}.end must be a local time HH:MM (00:00 to 23:59), not ${JSON.stringify(shift.end)}`
  if (shift.days !== undefined && new Set(shift.days).size !== shift.days.length) return `${at}.days names a day twice`
  if (shift.days !== undefined && shift.days.length === 0) return `${at}.days is empty; leave it out for every day`
  return undefined
}

/** The definition a command describes, or what is wrong with it. */
const definitionOf = (command: DefineReportingMachine): Result.Result<ReportingMachineDefinition, CommandRejected> => {
  const problems: Array<string | undefined> = [
    badText("name", command.name, MAX_REPORTING_TEXT),
    command.machineRef === undefined || command.machineRef === "" ? undefined : badText("machineRef", command.machineRef, MAX_REPORTING_TEXT),
    command.group === undefined || command.group === "" ? undefined : badText("group", command.group, MAX_REPORTING_TEXT),
    badText("tags.execution", command.tags.execution, 512),
    badText("tags.partCount", command.tags.partCount, 512),
    command.tags.rejectCount === undefined ? undefined : badText("tags.rejectCount", command.tags.rejectCount, 512),
    command.tags.alarm === undefined ? undefined : badText("tags.alarm", command.tags.alarm, 512)
  ]
  const ideal = command.idealCycleSeconds
  if (ideal !== undefined && !(Number.isFinite(ideal) && ideal > 0 && ideal <= MAX_IDEAL_CYCLE_SECONDS)) {
    problems.push(`idealCycleSeconds must be a number above 0 and at most ${MAX_IDEAL_CYCLE_SECONDS}, not ${ideal}`)
  }
  const shifts = command.shifts ?? []
  if (shifts.length > MAX_SHIFTS) problems.push(`${shifts.length} shifts; at most ${MAX_SHIFTS} are allowed`)
  shifts.forEach((shift, index) => problems.push(badShift(shift, index)))
  if (new Set(shifts.map((shift) => shift.name)).size !== shifts.length) problems.push("two shifts have the same name")
  const problem = problems.find((p) => p !== undefined)
  if (problem !== undefined) return unprocessable(problem)
  return Result.succeed({
    name: command.name,
    ...(command.machineRef === undefined || command.machineRef === "" ? {} : { machineRef: command.machineRef }),
    ...(command.group === undefined || command.group === "" ? {} : { group: command.group }),
    tags: command.tags,
    ...(ideal === undefined ? {} : { idealCycleSeconds: ideal }),
    shifts
  })
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

/** The instant an ISO 8601 time with a zone names, or undefined. */
const instantOf = (value: string): number | undefined => {
  if (!ISO_TIME.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

const notRegistered = (name: string) => Result.fail(new CommandRejected({ reason: "not_found", message: `no reporting machine ${name} in this domain` }))

const decide = (command: ReportingMachineCommand, state: ReportingMachineState): Result.Result<ReadonlyArray<ReportingMachineEvent>, CommandRejected> => {
  switch (command.type) {
    case "defineReportingMachine": {
      if (command.mode === "create" && state._tag === "Registered") {
        return Result.fail(new CommandRejected({ reason: "conflict", message: `a reporting machine named ${command.name} exists already; PUT replaces it` }))
      }
      if (command.mode === "replace" && state._tag !== "Registered") return notRegistered(command.name)
      const definition = definitionOf(command)
      if (Result.isFailure(definition)) return Result.fail(definition.failure)
      const data = definition.success
      // Replacing a definition by the same one changes nothing.
      if (state._tag === "Registered" && JSON.stringify(state.definition) === JSON.stringify(data)) return Result.succeed([])
      return Result.succeed([{ type: "ReportingMachineDefined", data }])
    }
    case "removeReportingMachine":
      if (state._tag !== "Registered") return notRegistered(command.name)
      return Result.succeed([{ type: "ReportingMachineRemoved", data: { name: command.name } }])
    case "annotateDowntime": {
      if (state._tag !== "Registered") return notRegistered(command.name)
      const start = instantOf(command.start)
      const end = instantOf(command.end)
      if (start === undefined) return unprocessable(`start must be an ISO 8601 time with a zone (2026-03-01T08:00:00Z), not ${JSON.stringify(command.start)}`)
      if (end === undefined) return unprocessable(`end must be an ISO 8601 time with a zone (2026-03-01T09:00:00Z), not ${JSON.stringify(command.end)}`)
      if (end <= start) return unprocessable("end must be after start")
      const reason = badText("reason", command.reason, MAX_REPORTING_TEXT)
      if (reason !== undefined) return unprocessable(reason)
      return Result.succeed([{
        type: "DowntimeAnnotated",
        data: { name: command.name, start: new Date(start).toISOString(), end: new Date(end).toISOString(), reason: command.reason }
      }])
    }
  }
}

export const reportingMachineDecider: Decider<ReportingMachineState, ReportingMachineCommand, ReportingMachineEvent> = {
  initialState: () => ABSENT,
  evolve,
  decide
}
