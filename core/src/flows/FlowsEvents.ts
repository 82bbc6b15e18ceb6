import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"

/** A domain's Node-RED flows, one stream per domain: `flows-<domain>-deployment`. */
export const FLOWS_CATEGORY = "flows"

/** The one aggregate id of a domain's flows: a domain has one flows file, as a Node-RED instance has. */
export const FLOWS_DEPLOYMENT_ID = "deployment"

/** One Node-RED node (or tab, or config node) as the editor writes it: at least an `id` and a `type`. */
export const FlowNode = Schema.Record(Schema.String, Schema.Unknown).annotate({
  identifier: "FlowNode",
  description: "One entry of a Node-RED flows file (a tab, a node, a config node, a group): an object with at least `id` and `type`, plus the node's own settings."
})
export type FlowNode = typeof FlowNode.Type

/**
 * The domain's whole flows file, in full (not a diff), as deployed: the flows Node-RED runs for the
 * domain are the ones of the domain's last FlowsDeployed. `rev` is the revision the editor sees.
 */
export const FlowsDeployed = EventSchema("FlowsDeployed", {
  flows: Schema.Array(FlowNode).annotate({ description: "Every tab, node and config node of the domain, as the Node-RED editor or `POST /api/flows` sent them." }),
  rev: Schema.String.annotate({ description: "The revision of this flows file (a hash of its content), as Node-RED's editor compares it." })
}, "The domain's whole Node-RED flows file, in full: what the domain's flows are from now on (a deploy from the editor or `POST /api/flows`).")
export type FlowsDeployed = typeof FlowsDeployed.Type

export type FlowsEvent = FlowsDeployed

export const FLOWS_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: FlowsEvent }> = [FlowsDeployed]
