import { log } from "../log.js"
import { makeRunLog, type RecordedRun } from "../processes/runLog.js"
import type { ServerContext } from "../ServerContext.js"
import type { FlowRuns } from "./FlowRuns.js"

/**
 * Flow runs in the run log shared with processes and functions (kind `flow`, trigger `http` with
 * the entry's name): a step per node that handled the run's message, in the order they finished.
 */
export const recordedFlowRuns = (context: ServerContext): FlowRuns => {
  const runLog = makeRunLog(context)
  const runs = new Map<string, { readonly run: RecordedRun; queue: Promise<void> }>()
  const enqueue = (runId: string, what: string, write: (run: RecordedRun) => Promise<void>): Promise<void> => {
    const held = runs.get(runId)
    if (held === undefined) return Promise.resolve()
    held.queue = held.queue.then(() => write(held.run)).catch((error: unknown) =>
      log("error", `could not record a flow run's ${what}`, { runId, error: error instanceof Error ? error.message : String(error) })
    )
    return held.queue
  }
  const end = (runId: string, what: string, write: (run: RecordedRun) => Promise<void>): Promise<void> =>
    enqueue(runId, what, write).finally(() => runs.delete(runId))
  return {
    start: async (start) => {
      const run = await runLog.start({
        domain: start.domain,
        kind: "flow",
        name: start.name,
        trigger: { type: "http", config: { name: start.name } },
        input: start.input,
        actor: start.actor,
        correlationId: start.correlationId
      })
      runs.set(run.runId, { run, queue: Promise.resolve() })
      return run.runId
    },
    step: (runId, step) => {
      void enqueue(runId, "step", (run) => run.step(step.node, { type: step.type, ...(step.name === undefined ? {} : { name: step.name }), ...(step.error === undefined ? {} : { error: step.error }) }))
    },
    finish: (runId, result) => end(runId, "end", (run) => run.finish(result ?? null)),
    fail: (runId, reason) => end(runId, "end", (run) => run.fail(reason))
  }
}
