import type { ActorRef } from "@machhub/core"

/** A flow run's step: a node that finished handling the run's message. */
export interface FlowStep {
  readonly node: string
  readonly type: string
  readonly name?: string
  readonly error?: string
}

/**
 * How flow runs reach the log (RunStarted, RunStepCompleted per node, RunFinished / RunFailed):
 * `start` answers the run's id; steps are recorded in order without holding up the flow; the end
 * resolves once the run and its steps are recorded.
 */
export interface FlowRuns {
  readonly start: (run: { readonly name: string; readonly domain: string; readonly actor: ActorRef; readonly correlationId: string; readonly input: unknown }) => Promise<string>
  readonly step: (runId: string, step: FlowStep) => void
  readonly finish: (runId: string, result: unknown) => Promise<void>
  readonly fail: (runId: string, reason: string) => Promise<void>
}
