import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { RunCommand } from "./RunCommands.js"
import type { RunEvent, RunKind } from "./RunEvents.js"

/** A run's life: not started, running (with its steps so far), then finished or failed for good. */
export type RunState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Running"; readonly kind: RunKind; readonly name: string; readonly steps: number }
  | { readonly _tag: "Finished"; readonly kind: RunKind; readonly name: string }
  | { readonly _tag: "Failed"; readonly kind: RunKind; readonly name: string; readonly reason: string }

const ABSENT: RunState = Object.freeze({ _tag: "Absent" })

const evolve = (state: RunState, event: RunEvent): RunState => {
  switch (event.type) {
    case "RunStarted":
      return { _tag: "Running", kind: event.data.kind, name: event.data.name, steps: 0 }
    case "RunStepCompleted":
      return state._tag === "Running" ? { ...state, steps: state.steps + 1 } : state
    case "RunFinished":
      return state._tag === "Running" ? { _tag: "Finished", kind: state.kind, name: state.name } : state
    case "RunFailed":
      return state._tag === "Running" ? { _tag: "Failed", kind: state.kind, name: state.name, reason: event.data.reason } : state
  }
}

/** Most log lines a run keeps; past it the last line says how many were left out. */
export const MAX_RUN_LOG_LINES = 1000

const notRunning = (state: RunState, runId: string) =>
  Result.fail(new CommandRejected({
    reason: state._tag === "Absent" ? "not_found" : "conflict",
    message: state._tag === "Absent" ? `no run ${runId}` : `run ${runId} has ended (${state._tag.toLowerCase()})`
  }))

const decide = (command: RunCommand, state: RunState): Result.Result<ReadonlyArray<RunEvent>, CommandRejected> => {
  switch (command.type) {
    case "startRun":
      if (state._tag !== "Absent") return Result.fail(new CommandRejected({ reason: "conflict", message: `run ${command.runId} has started already` }))
      return Result.succeed([{
        type: "RunStarted",
        data: {
          runId: command.runId,
          kind: command.kind,
          name: command.name,
          trigger: command.trigger,
          ...(command.input === undefined ? {} : { input: command.input }),
          ...(command.node === undefined ? {} : { node: command.node })
        }
      }])
    case "completeRunStep":
      if (state._tag !== "Running") return notRunning(state, command.runId)
      return Result.succeed([{
        type: "RunStepCompleted",
        data: { runId: command.runId, index: state.steps, step: command.step, ...(command.detail === undefined ? {} : { detail: command.detail }) }
      }])
    case "finishRun":
      if (state._tag !== "Running") return notRunning(state, command.runId)
      return Result.succeed([{ type: "RunFinished", data: { runId: command.runId, result: command.result ?? null, logs: bounded(command.logs ?? []) } }])
    case "failRun":
      if (state._tag !== "Running") return notRunning(state, command.runId)
      return Result.succeed([{ type: "RunFailed", data: { runId: command.runId, reason: command.reason, logs: bounded(command.logs ?? []) } }])
  }
}

const bounded = <L extends { readonly at: number }>(logs: ReadonlyArray<L>): ReadonlyArray<L | { level: "warn"; message: string; at: number }> =>
  logs.length <= MAX_RUN_LOG_LINES
    ? logs
    : [...logs.slice(0, MAX_RUN_LOG_LINES - 1), { level: "warn", message: `${logs.length - MAX_RUN_LOG_LINES + 1} more lines left out`, at: logs[logs.length - 1]!.at }]

export const runDecider: Decider<RunState, RunCommand, RunEvent> = { initialState: () => ABSENT, evolve, decide }
