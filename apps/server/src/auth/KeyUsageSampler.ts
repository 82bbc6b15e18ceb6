import { Cause, Effect } from "effect"
import { processRunner } from "../runtime.js"
import type { HttpRequest } from "@machhub/adapters"
import { API_KEY_USE_CATEGORY, KEY_USE_SAMPLE_MILLIS, knownCommand, uuidv7, type CommandBusService } from "@machhub/core"
import { log } from "../log.js"
import { actorOf, type Principal } from "./Principal.js"

/** Records `KeyUsed` for the requests API keys authenticate, sampled so the log is not flooded. */
export interface KeyUsageSampler {
  /** Called for every request a key was admitted for; returns at once. */
  readonly sample: (principal: Principal, request: HttpRequest) => void
}

/** Past this many remembered keys, those not seen within the sampling interval are forgotten. */
const MAX_REMEMBERED = 50_000

/**
 * At most one `recordKeyUse` per key per `intervalMillis` from this process (the key's own aggregate
 * keeps at most one per minute across processes). The command is sent after the current request's
 * work (setImmediate) and never awaited: a use is worth recording, not worth slowing or failing the
 * request it samples, so a failure is logged and otherwise ignored. Only the method and path are
 * recorded, never the query string (it may carry values the caller did not mean to keep).
 */
export const makeKeyUsageSampler = (deps: {
  readonly commands: CommandBusService
  /** Starts the recording fiber; the server passes one supervised by its runtime's scope, so stopping interrupts it. */
  readonly fork?: (effect: Effect.Effect<void>) => unknown
  readonly intervalMillis?: number
  readonly now?: () => number
}): KeyUsageSampler => {
  const interval = deps.intervalMillis ?? KEY_USE_SAMPLE_MILLIS
  const now = deps.now ?? Date.now
  const last = new Map<string, number>()
  const fork = deps.fork ?? processRunner.runFork

  const forgetOld = (at: number) => {
    for (const [keyId, when] of last) if (at - when >= interval) last.delete(keyId)
    if (last.size >= MAX_REMEMBERED) last.clear()
  }

  const record = (principal: Principal, at: number, route: string, address: string, correlationId: string) =>
    fork(
      deps.commands.dispatch(knownCommand({
        id: uuidv7(),
        type: "recordKeyUse",
        category: API_KEY_USE_CATEGORY,
        domain: principal.domain,
        aggregateId: principal.id,
        actor: actorOf(principal),
        payload: { at: new Date(at).toISOString(), route, address: address === "" ? null : address },
        correlationId
      })).pipe(
        // Defects included: nothing of this may surface anywhere but the log.
        Effect.catchCause((cause) =>
          Effect.sync(() => log("warn", "could not record an API key's use", { keyId: principal.id, correlationId, error: Cause.pretty(cause).slice(0, 500) }))
        )
      )
    )

  return {
    sample: (principal, request) => {
      const at = now()
      const previous = last.get(principal.id)
      if (previous !== undefined && at - previous < interval) return
      if (last.size >= MAX_REMEMBERED) forgetOld(at)
      last.set(principal.id, at)
      // Copied now: the request's fields may be gone once its handler has answered.
      const route = `${request.method} ${request.path}`.slice(0, 200)
      const address = request.remoteAddress
      const correlationId = request.correlationId
      setImmediate(() => record(principal, at, route, address, correlationId))
    }
  }
}
