import { type Context, Effect, type Fiber, FiberSet, Layer } from "effect"
import { runnerOf } from "../runtime.js"
import { Runner } from "./services.js"

/**
 * The server's runner (see runtime.ts), made in the context of the Layers below it (store, logger).
 * What it forks (a route module's background work) lives in a FiberSet of this Layer's scope: it is
 * interrupted when the Layers above it (HTTP, subsystems) are released, before the store closes.
 */
export const RunnerLayer = Layer.effect(
  Runner,
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const fork = yield* FiberSet.makeRuntime<never, any, any>()
    return runnerOf(context as Context.Context<any>, (effect, options) => fork(effect, options) as Fiber.Fiber<any, any>)
  })
)
