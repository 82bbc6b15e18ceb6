import { fromDecider } from "../decider/fromDecider.js"
import { FLOWS_COMMANDS } from "./FlowsCommands.js"
import { flowsDecider, type FlowsState } from "./FlowsDecider.js"
import { FLOWS_CATEGORY, FLOWS_EVENTS } from "./FlowsEvents.js"

/** What a deploy answers: the revision now deployed (the previous one when nothing changed). */
export const flowsReply = (state: FlowsState): { readonly rev: string | undefined } => ({ rev: state._tag === "Deployed" ? state.rev : undefined })

/** A domain's Node-RED flows file (SPEC §8), one stream per domain. */
export const flowsAggregate = fromDecider({
  category: FLOWS_CATEGORY,
  decider: flowsDecider,
  commands: FLOWS_COMMANDS,
  events: FLOWS_EVENTS,
  reply: flowsReply
})
