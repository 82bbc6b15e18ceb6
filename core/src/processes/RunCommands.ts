import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { RunKind, RunLogLine, RunTrigger } from "./RunEvents.js"

/** Run commands; `runId` comes from the stream (the aggregate id). */
export const StartRun = CommandSchema("startRun", {
  runId: Schema.String,
  kind: RunKind,
  name: Schema.String,
  trigger: RunTrigger,
  input: Schema.optional(Schema.Unknown),
  node: Schema.optional(Schema.String)
})
export type StartRun = typeof StartRun.Type

export const CompleteRunStep = CommandSchema("completeRunStep", { runId: Schema.String, step: Schema.String, detail: Schema.optional(Schema.Unknown) })
export type CompleteRunStep = typeof CompleteRunStep.Type

export const FinishRun = CommandSchema("finishRun", { runId: Schema.String, result: Schema.Unknown, logs: Schema.optional(Schema.Array(RunLogLine)) })
export type FinishRun = typeof FinishRun.Type

export const FailRun = CommandSchema("failRun", { runId: Schema.String, reason: Schema.String, logs: Schema.optional(Schema.Array(RunLogLine)) })
export type FailRun = typeof FailRun.Type

export type RunCommand = StartRun | CompleteRunStep | FinishRun | FailRun

export const RUN_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: RunCommand }> = [StartRun, CompleteRunStep, FinishRun, FailRun]
