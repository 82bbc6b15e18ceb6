import type { ServerContext } from "../ServerContext.js"
import { makeProcessEngine, type ProcessEngine } from "./engine.js"
import { startTriggers, type RunningTriggers } from "./triggers.js"

const engines = new WeakMap<ServerContext, { readonly engine: ProcessEngine; readonly triggers: RunningTriggers }>()

/** The edge's process engine, with its triggers armed (one per server, made on first use). */
export const processesOf = (context: ServerContext): ProcessEngine => {
  let running = engines.get(context)
  if (running === undefined) {
    const engine = makeProcessEngine(context)
    running = { engine, triggers: startTriggers(context, engine) }
    engines.set(context, running)
  }
  return running.engine
}

/** Stops the edge's triggers (the server is stopping): no new scheduled or tag-change runs. */
export const stopProcesses = (context: ServerContext | undefined): void => {
  if (context === undefined) return
  engines.get(context)?.triggers.stop()
}
