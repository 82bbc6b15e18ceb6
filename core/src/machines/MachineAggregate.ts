import { fromDecider } from "../decider/fromDecider.js"
import { MACHINE_COMMANDS } from "./MachineCommands.js"
import { machineDecider, type MachineState } from "./MachineDecider.js"
import { MACHINE_EVENTS, type HostKey } from "./MachineEvents.js"

/** One SSH machine of one domain. Stream `machine-<domain>-<machineId>`. */
export const MACHINE_CATEGORY = "machine"

/** What `connectMachine` answers: whether the presented host key may be used, and the pinned one. */
export interface HostKeyVerdict {
  readonly accepted: boolean
  readonly pinned: HostKey | null
}

export const machineAggregate = fromDecider({
  category: MACHINE_CATEGORY,
  decider: machineDecider,
  commands: MACHINE_COMMANDS,
  events: MACHINE_EVENTS,
  // The stream names the machine: an id in the payload cannot point elsewhere.
  fromEnvelope: (command) => ({ machineId: Number(command.aggregateId) }),
  reply: (state: MachineState): { readonly machineId: number } => ({ machineId: state._tag === "Absent" ? 0 : state.machineId }),
  replies: {
    connectMachine: (state: MachineState, events): HostKeyVerdict => ({
      accepted: !events.some((event) => event.type === "HostKeyMismatch"),
      pinned: state._tag === "Absent" ? null : state.hostKey
    })
  }
})
