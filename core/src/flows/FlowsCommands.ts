import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { FlowNode } from "./FlowsEvents.js"

/**
 * Deploys a domain's whole flows file. `rev` is computed at the edge from the content (the decider
 * stays pure and deterministic); an unchanged file deploys nothing.
 */
export const DeployFlows = CommandSchema("deployFlows", {
  flows: Schema.Array(FlowNode),
  rev: Schema.String
})
export type DeployFlows = typeof DeployFlows.Type

export type FlowsCommand = DeployFlows

export const FLOWS_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: FlowsCommand }> = [DeployFlows]
