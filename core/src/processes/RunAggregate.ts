import { fromDecider } from "../decider/fromDecider.js"
import { RUN_COMMANDS } from "./RunCommands.js"
import { runDecider, type RunState } from "./RunDecider.js"
import { RUN_CATEGORY, RUN_EVENTS } from "./RunEvents.js"

/** What a run command answers: the run's state after it. */
export const runReply = (state: RunState): { readonly status: "running" | "finished" | "failed" | "absent" } => ({
  status: state._tag === "Running" ? "running" : state._tag === "Finished" ? "finished" : state._tag === "Failed" ? "failed" : "absent"
})

/** Every run of a process, function or flow (SPEC §8: every run is in the log), one stream per run. */
export const runAggregate = fromDecider({
  category: RUN_CATEGORY,
  decider: runDecider,
  commands: RUN_COMMANDS,
  events: RUN_EVENTS,
  fromEnvelope: (command) => ({ runId: command.aggregateId }),
  reply: runReply
})
