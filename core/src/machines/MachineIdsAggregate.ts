import { Result, Schema } from "effect"
import type { Decider } from "../decider/Decider.js"
import { fromDecider } from "../decider/fromDecider.js"
import { CommandSchema, EventSchema } from "../decider/Schemas.js"

/**
 * Hands out the numeric machine ids of one domain (the seed answers `id` as a number). Stream
 * `machineids-<domain>-sequence`. An id is allocated before the machine is registered because the
 * secrets' authenticated data is bound to it; an id whose registration then fails is simply skipped.
 */
export const MACHINE_IDS_CATEGORY = "machineids"
export const MACHINE_IDS_STREAM_ID = "sequence"

export const MachineIdAllocated = EventSchema("MachineIdAllocated", { machineId: Schema.Number })
export type MachineIdAllocated = typeof MachineIdAllocated.Type

export const AllocateMachineId = CommandSchema("allocateMachineId", {})
export type AllocateMachineId = typeof AllocateMachineId.Type

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
  commands: [AllocateMachineId],
  events: [MachineIdAllocated],
  // After an allocation the state is always Active.
  reply: (state): { readonly machineId: number } => ({ machineId: state._tag === "Absent" ? 0 : state.last })
})
