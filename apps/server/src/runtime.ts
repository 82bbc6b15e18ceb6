import { Context, Effect, type Fiber, Logger, References } from "effect"
import type { HttpHandler, HttpRequest } from "@machhub/adapters"
import { EventStore } from "@machhub/core"
import { jsonLinesLogger } from "./log.js"

/**
 * Runs Effects from code that is not itself an Effect (route handlers, timers, callbacks). A server's
 * runner runs them with its ManagedRuntime's context (its services and logger).
 */
export interface EffectRunner {
  readonly runPromise: <A, E>(effect: Effect.Effect<A, E>, options?: Effect.RunOptions) => Promise<A>
  readonly runFork: <A, E>(effect: Effect.Effect<A, E>, options?: Effect.RunOptions) => Fiber.Fiber<A, E>
  /**
   * Runs an Effect with its logs annotated with a request's correlation id, the annotation in the
   * context it starts with rather than a step of the program (see `annotated`): every request runs
   * one. Without it, `runPromise` of an annotated program.
   */
  readonly runPromiseFor?: <A, E>(correlationId: string, effect: Effect.Effect<A, E>, options?: Effect.RunOptions) => Promise<A>
}

/**
 * A server's runner. Programs a request starts need no service from the context (they close over
 * what they use) but the runtime's logger, so they run with just its logging references and the
 * store: a context holding every service of the server would be copied whenever a program provides
 * one. The store is there because the actor system, deciding a fresh aggregate (each createRecord) in
 * the caller's fiber, provides its own context (store and logger) only to a caller that lacks it, and
 * a merge per request costs a measurable share of a createRecord. They are not registered in any
 * scope either (a weak-set entry and a finalizer per request); stopping drains the HTTP edge, letting
 * them finish, before the Layers they use are released. Forked work is supervised: `fork` joins it to
 * the scope of the Layer that made the runner (see layers/RunnerLayer.ts), which interrupts it when
 * the server stops.
 */
export const runnerOf = (
  context: Context.Context<any>,
  fork: <A, E>(effect: Effect.Effect<A, E>, options?: Effect.RunOptions) => Fiber.Fiber<A, E>
): EffectRunner => {
  const base = Context.pick(Logger.CurrentLoggers, References.MinimumLogLevel, EventStore)(context)
  const run = Effect.runPromiseWith(base)
  return {
    runPromise: (effect, options) => run(effect, options),
    runFork: fork,
    runPromiseFor: (correlationId, effect, options) =>
      Effect.runPromiseWith(Context.add(base, References.CurrentLogAnnotations, { correlationId }))(effect, options)
  }
}

/**
 * For Effects run outside any server's request: the same logger, never disposed. A server's own
 * runtime is not used for them because several servers may share a process (tests do), and an
 * Effect run on another server's runtime would be interrupted when that server stops.
 */
const processContext = Context.make(Logger.CurrentLoggers, new Set([jsonLinesLogger]))
export const processRunner: EffectRunner = {
  runPromise: (effect, options) => Effect.runPromiseWith(processContext)(effect, options),
  runFork: (effect, options) => Effect.runForkWith(processContext)(effect, options)
}

/**
 * The runner and correlation id of the request whose handler is running right now. Handlers are
 * called synchronously by the HTTP edge, so these are set around that call (two assignments, no
 * per-request Effect or async context); an Effect started later, after an await, runs on
 * `processRunner` unannotated unless its caller annotates it.
 */
let currentRunner: EffectRunner | undefined
let currentCorrelationId: string | undefined

/** Wraps a route handler so Effects it starts run on `runner`, their logs annotated with the request's correlation id. */
export const runningOn = (runner: EffectRunner, handler: HttpHandler): HttpHandler => (request: HttpRequest) => {
  const previousRunner = currentRunner
  const previousId = currentCorrelationId
  currentRunner = runner
  currentCorrelationId = request.correlationId
  try {
    return handler(request)
  } finally {
    currentRunner = previousRunner
    currentCorrelationId = previousId
  }
}

const annotated = <A, E>(effect: Effect.Effect<A, E>, correlationId: string | undefined): Effect.Effect<A, E> =>
  correlationId === undefined ? effect : Effect.annotateLogs(effect, "correlationId", correlationId)

/** Runs an Effect on `runner`, its logs annotated with `correlationId` (when there is one). */
const runAnnotated = <A, E>(runner: EffectRunner, correlationId: string | undefined, effect: Effect.Effect<A, E>, options?: Effect.RunOptions): Promise<A> =>
  correlationId !== undefined && runner.runPromiseFor !== undefined
    ? runner.runPromiseFor(correlationId, effect, options)
    : runner.runPromise(annotated(effect, correlationId), options)

/** Runs an Effect for the current request (see `runningOn`), or on the process runner outside one. */
export const runPromise = <A, E>(effect: Effect.Effect<A, E>, options?: Effect.RunOptions): Promise<A> =>
  runAnnotated(currentRunner ?? processRunner, currentCorrelationId, effect, options)

/** Starts an Effect for the current request (see `runningOn`) without waiting for it. */
export const runFork = <A, E>(effect: Effect.Effect<A, E>, options?: Effect.RunOptions): Fiber.Fiber<A, E> =>
  (currentRunner ?? processRunner).runFork(annotated(effect, currentCorrelationId), options)

/** Runs an Effect on `runner` with its logs annotated with `correlationId`. */
export const runFor = <A, E>(runner: EffectRunner, correlationId: string | undefined, effect: Effect.Effect<A, E>): Promise<A> =>
  runAnnotated(runner, correlationId, effect)
