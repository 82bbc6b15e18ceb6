import { Effect, Layer } from "effect"
import { stopFlows } from "../flows/edgeFlows.js"
import { Edge } from "./services.js"

/**
 * The edge's flows: Node-RED starts on first use (see edgeFlows.ts) and is stopped with the server,
 * after the processes' triggers and before the tag values its flows write are closed.
 */
export const FlowsLayer = Layer.effectDiscard(
  Effect.gen(function*() {
    const edge = yield* Edge
    yield* Effect.addFinalizer(() => Effect.promise(() => stopFlows(edge)))
  })
)
