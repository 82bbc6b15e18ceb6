import { fromDecider } from "../decider/fromDecider.js"
import { FUNCTION_COMMANDS } from "./FunctionCommands.js"
import { functionDecider, type FunctionState } from "./FunctionDecider.js"
import { FUNCTION_CATEGORY, FUNCTION_EVENTS } from "./FunctionEvents.js"

/** What a function command answers: the code version after it (0 once removed). */
export const functionReply = (state: FunctionState): { readonly version: number } => ({ version: state._tag === "Deployed" ? state.version : 0 })

/** Function definitions of a domain (SPEC §8), one stream per name. */
export const functionAggregate = fromDecider({
  category: FUNCTION_CATEGORY,
  decider: functionDecider,
  commands: FUNCTION_COMMANDS,
  events: FUNCTION_EVENTS,
  fromEnvelope: (command) => ({ name: command.aggregateId }),
  reply: functionReply
})
