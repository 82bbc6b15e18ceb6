import { fromDecider } from "../decider/fromDecider.js"
import { PROCESS_COMMANDS } from "./ProcessCommands.js"
import { processDecider, type ProcessState } from "./ProcessDecider.js"
import { PROCESS_CATEGORY, PROCESS_EVENTS } from "./ProcessEvents.js"

/** What a process command answers: the code version after it (0 once removed). */
export const processReply = (state: ProcessState): { readonly version: number } => ({ version: state._tag === "Deployed" ? state.version : 0 })

/** Process definitions of a domain (SPEC §8), one stream per name: the stream names the process. */
export const processAggregate = fromDecider({
  category: PROCESS_CATEGORY,
  decider: processDecider,
  commands: PROCESS_COMMANDS,
  events: PROCESS_EVENTS,
  fromEnvelope: (command) => ({ name: command.aggregateId }),
  reply: processReply
})
