import type { Command } from "../commands/Command.js"
import { fromDecider } from "../decider/fromDecider.js"
import type { MachineCommand } from "./MachineCommands.js"
import { machineDecider, type MachineState } from "./MachineDecider.js"
import type { HostKey, MachineEvent } from "./MachineEvents.js"

/** One SSH machine of one domain. Stream `machine-<domain>-<machineId>`. */
export const MACHINE_CATEGORY = "machine"

/** What `connectMachine` answers: whether the presented host key may be used, and the pinned one. */
export interface HostKeyVerdict {
  readonly accepted: boolean
  readonly pinned: HostKey | null
}

const toMachineCommand = (command: Command): MachineCommand | undefined => {
  const payload = command.payload as Record<string, unknown> | null
  if (payload === null || typeof payload !== "object") return undefined
  switch (command.type) {
    case "registerMachine":
      // The stream names the machine: an id in the payload cannot point elsewhere.
      return { ...payload, type: command.type, machineId: Number(command.aggregateId) } as MachineCommand
    case "deleteMachine":
    case "connectMachine":
    case "recordConnectOutcome":
      return { ...payload, type: command.type } as MachineCommand
    default:
      return undefined
  }
}

export const machineAggregate = fromDecider<MachineState, MachineCommand, MachineEvent>({
  category: MACHINE_CATEGORY,
  decider: machineDecider,
  toCommand: toMachineCommand,
  reply: (state, events, command): HostKeyVerdict | { readonly machineId: number } =>
    command.type === "connectMachine"
      ? { accepted: !events.some((event) => event.type === "HostKeyMismatch"), pinned: state._tag === "Absent" ? null : state.hostKey }
      : { machineId: state._tag === "Absent" ? 0 : state.machineId }
})
