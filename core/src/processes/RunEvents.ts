import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"

/** Runs of processes, functions and flows, one stream per run. Stream `run-<domain>-<run id>`. */
export const RUN_CATEGORY = "run"

export const RunKind = Schema.Literals(["process", "function", "flow"]).annotate({
  identifier: "RunKind",
  description: "What ran: a process, a function or a Node-RED flow."
})
export type RunKind = typeof RunKind.Type

/** What started a run: its type (manual, http, interval, cron, tag_change, call, flow...) and details. */
export const RunTrigger = Schema.Struct({
  type: Schema.String,
  config: Schema.optionalKey(Schema.Unknown),
  data: Schema.optionalKey(Schema.Unknown)
}).annotate({
  identifier: "RunTrigger",
  description: "What started the run: `type` (manual, http, interval, cron, tag_change, call, flow), the trigger's `config` and its runtime `data` (a tag change's topic and payload, a schedule's slot)."
})
export type RunTrigger = typeof RunTrigger.Type

/** One line the code logged. */
export const RunLogLine = Schema.Struct({
  level: Schema.Literals(["debug", "info", "warn", "error"]),
  message: Schema.String,
  at: Schema.Number.annotate({ description: "Milliseconds since the epoch." })
}).annotate({ identifier: "RunLogLine", description: "One line the code logged (console.*, sdk.log), in order." })
export type RunLogLine = typeof RunLogLine.Type

export const RunStarted = EventSchema("RunStarted", {
  runId: Schema.String,
  kind: RunKind,
  name: Schema.String.annotate({ description: "The process, function or flow that runs." }),
  trigger: RunTrigger,
  input: Schema.optionalKey(Schema.Unknown.annotate({ description: "The input it was called with (an HTTP body, execute's input, a function's payload)." })),
  node: Schema.optionalKey(Schema.String.annotate({ description: "The edge that runs it (a hash of its device name and data directory): at its restart, it ends its own runs left open as interrupted." }))
}, "A run began; its actor (in meta) is the caller, or the system for a schedule or tag change.")
export type RunStarted = typeof RunStarted.Type

export const RunStepCompleted = EventSchema("RunStepCompleted", {
  runId: Schema.String,
  index: Schema.Number.annotate({ description: "0 for the first step of the run, then one more per step." }),
  step: Schema.String.annotate({ description: "What the step was: an output's type (tag_write, record_write), or a flow node's id." }),
  detail: Schema.optionalKey(Schema.Unknown.annotate({ description: "What it did (the tag and value written, the record created, a node's name and type)." }))
}, "One step of a run is done: an output of a process, a node of a flow.")
export type RunStepCompleted = typeof RunStepCompleted.Type

export const RunFinished = EventSchema("RunFinished", {
  runId: Schema.String,
  result: Schema.Unknown.annotate({ description: "What the code returned (JSON)." }),
  logs: Schema.Array(RunLogLine)
}, "The run ended well, with its result and the lines its code logged.")
export type RunFinished = typeof RunFinished.Type

export const RunFailed = EventSchema("RunFailed", {
  runId: Schema.String,
  reason: Schema.String.annotate({ description: "Why: the error thrown, a limit exceeded, an output refused, or `interrupted` (the server stopped during the run)." }),
  logs: Schema.Array(RunLogLine)
}, "The run ended in failure, with the reason and the lines its code logged.")
export type RunFailed = typeof RunFailed.Type

export type RunEvent = RunStarted | RunStepCompleted | RunFinished | RunFailed

export const RUN_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: RunEvent }> = [RunStarted, RunStepCompleted, RunFinished, RunFailed]
