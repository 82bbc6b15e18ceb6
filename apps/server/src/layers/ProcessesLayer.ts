import { Effect, Layer } from "effect"
import { stopProcesses } from "../processes/edgeProcesses.js"
import { Edge } from "./services.js"

/**
 * The edge's processes: their engine and triggers start on first use (see edgeProcesses.ts); when
 * the server stops, once requests have stopped, no trigger starts a run any more.
 */
export const ProcessesLayer = Layer.effectDiscard(
  Effect.gen(function*() {
    const edge = yield* Edge
    yield* Effect.addFinalizer(() => Effect.sync(() => stopProcesses(edge)))
  })
)
