import { uuidv7 } from "@machhub/core"
import { log } from "../log.js"
import type { ServerContext } from "../ServerContext.js"
import type { FlowRuns } from "./FlowRuns.js"

/**
 * Flow runs as the server records them. Until the run log of processes is in place, a run is
 * written to the server's log (one line per start, step and end) under its run id.
 */
export const recordedFlowRuns = (_context: ServerContext): FlowRuns => ({
  start: async (run) => {
    const runId = uuidv7()
    log("info", "flow run started", { runId, flow: run.name, domain: run.domain, correlationId: run.correlationId })
    return runId
  },
  step: (runId, step) => log("debug", "flow run step completed", { runId, ...step }),
  finish: (runId) => log("info", "flow run finished", { runId }),
  fail: (runId, reason) => log("warn", "flow run failed", { runId, reason })
})
