import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { FlowsCommand } from "./FlowsCommands.js"
import type { FlowNode, FlowsEvent } from "./FlowsEvents.js"

/** The most entries a flows file may hold: a plant's flows, not a data dump. */
export const MAX_FLOW_NODES = 5_000

/** A domain's flows: never deployed, or the last flows file deployed. */
export type FlowsState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Deployed"; readonly flows: ReadonlyArray<FlowNode>; readonly rev: string }

const ABSENT: FlowsState = Object.freeze({ _tag: "Absent" })

const evolve = (_: FlowsState, event: FlowsEvent): FlowsState => ({ _tag: "Deployed", flows: event.data.flows, rev: event.data.rev })

const invalid = (message: string) => Result.fail(new CommandRejected({ reason: "invalid", message }))

/** What Node-RED needs of every entry: a non-empty string id, unique in the file, and a type. */
const checkNodes = (flows: ReadonlyArray<FlowNode>): string | undefined => {
  if (flows.length > MAX_FLOW_NODES) return `the flows file holds ${flows.length} entries; at most ${MAX_FLOW_NODES} are allowed`
  const ids = new Set<string>()
  for (let i = 0; i < flows.length; i++) {
    const node = flows[i]!
    const id = node["id"]
    if (typeof id !== "string" || id.length === 0 || id.length > 128) return `flows[${i}].id must be a string of 1 to 128 characters`
    if (typeof node["type"] !== "string" || node["type"].length === 0) return `flows[${i}].type must be a non-empty string (node ${id})`
    if (ids.has(id)) return `flows[${i}].id ${id} is used twice in the flows file`
    ids.add(id)
  }
  return undefined
}

const decide = (command: FlowsCommand, state: FlowsState): Result.Result<ReadonlyArray<FlowsEvent>, CommandRejected> => {
  const problem = checkNodes(command.flows)
  if (problem !== undefined) return invalid(problem)
  // The same file deployed again changes nothing.
  if (state._tag === "Deployed" && state.rev === command.rev) return Result.succeed([])
  return Result.succeed([{ type: "FlowsDeployed", data: { flows: command.flows, rev: command.rev } }])
}

export const flowsDecider: Decider<FlowsState, FlowsCommand, FlowsEvent> = { initialState: () => ABSENT, evolve, decide }
