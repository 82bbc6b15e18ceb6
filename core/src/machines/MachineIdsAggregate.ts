import { Result } from "effect"
import type { Command } from "../commands/Command.js"
import type { Decider, DomainEvent } from "../decider/Decider.js"
import { fromDecider } from "../decider/fromDecider.js"

/**
 * Hands out the numeric machine ids of one domain (the seed answers `id` as a number). Stream
 * `machineids-<domain>-sequence`. An id is allocated before the machine is registered because the
 * secrets' authenticated data is bound to it; an id whose registration then fails is simply skipped.
 */
export const MACHINE_IDS_CATEGORY = "machineids"
export const MACHINE_IDS_STREAM_ID = "sequence"

export type MachineIdAllocated = DomainEvent<"MachineIdAllocated", { readonly machineId: number }>

export interface AllocateMachineId {
  readonly type: "allocateMachineId"
}

/** No id handed out yet, or the last one handed out. */
export type MachineIdsState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Active"; readonly last: number }

export const machineIdsDecider: Decider<MachineIdsState, AllocateMachineId, MachineIdAllocated> = {
  initialState: () => ({ _tag: "Absent" }),
  evolve: (_, event) => ({ _tag: "Active", last: event.data.machineId }),
  decide: (_, state) => Result.succeed([{ type: "MachineIdAllocated", data: { machineId: state._tag === "Absent" ? 1 : state.last + 1 } }])
}

export const machineIdsAggregate = fromDecider({
  category: MACHINE_IDS_CATEGORY,
  decider: machineIdsDecider,
  toCommand: (command: Command): AllocateMachineId | undefined =>
    command.type === "allocateMachineId" ? { type: "allocateMachineId" } : undefined,
  // After an allocation the state is always Active.
  reply: (state): { readonly machineId: number } => ({ machineId: state._tag === "Absent" ? 0 : state.last })
})
