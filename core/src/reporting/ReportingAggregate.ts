import { fromDecider } from "../decider/fromDecider.js"
import { REPORTING_MACHINE_COMMANDS } from "./ReportingCommands.js"
import { reportingMachineDecider, type ReportingMachineState } from "./ReportingDecider.js"
import { REPORTING_MACHINE_CATEGORY, REPORTING_MACHINE_EVENTS, type ReportingMachineDefinition } from "./ReportingEvents.js"

/** What a reporting machine command answers: the definition after it, or undefined once removed. */
export const reportingMachineReply = (state: ReportingMachineState): ReportingMachineDefinition | undefined =>
  state._tag === "Registered" ? state.definition : undefined

/**
 * Machines registered for production reporting (SPEC §9), one stream per name: the stream names the
 * machine, so a payload can never point at another one. Domain-wide (any holder of `machines`
 * read-write manages them), unlike the owner-only SSH machines.
 */
export const reportingMachineAggregate = fromDecider({
  category: REPORTING_MACHINE_CATEGORY,
  decider: reportingMachineDecider,
  commands: REPORTING_MACHINE_COMMANDS,
  events: REPORTING_MACHINE_EVENTS,
  fromEnvelope: (command) => ({ name: command.aggregateId }),
  reply: reportingMachineReply
})
