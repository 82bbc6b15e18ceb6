import type { ServerContext } from "../ServerContext.js"
import { makeFlowsService, type FlowsService } from "./FlowsService.js"
import { recordedFlowRuns } from "./recordedFlowRuns.js"

const services = new WeakMap<ServerContext, FlowsService>()

/** The edge's flows (one per server; Node-RED itself starts on first use). */
/** `_natsAvailable` is read from the context itself (its NATS connection); kept for the route table's call. */
export const flowsOf = (context: ServerContext, _natsAvailable?: boolean): FlowsService => {
  let service = services.get(context)
  if (service === undefined) services.set(context, (service = makeFlowsService(context, { runs: recordedFlowRuns(context) })))
  return service
}

/** Stops the edge's Node-RED runtime, if it started (the server is stopping). */
export const stopFlows = async (context: ServerContext | undefined): Promise<void> => {
  if (context === undefined) return
  await services.get(context)?.stop()
}
