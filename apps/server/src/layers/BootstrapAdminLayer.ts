import { Cause, Effect, Layer, Schedule } from "effect"
import { bootstrapAdmin } from "../bootstrapAdmin.js"
import { log } from "../log.js"
import { AdminBootstrap, Edge, HttpRoutes } from "./services.js"

export interface BootstrapHooks {
  /** Receives a generated admin password, the one time it exists in clear. */
  readonly onAdminPasswordGenerated?: (password: string) => void
}

/**
 * Once the read models are current (so an admin made earlier, perhaps by another node, is seen),
 * makes sure one exists; the edge is ready from then on. Runs in the background, in this Layer's
 * scope: stopping the server first interrupts it (e.g. still waiting for an actor host).
 */
export const BootstrapAdminLayer = (configuredPassword: string | undefined, hooks: BootstrapHooks) =>
  Layer.effect(
    AdminBootstrap,
    Effect.gen(function*() {
      const context = yield* Edge
      const { state } = yield* HttpRoutes
      let waiting = false
      let finished!: () => void
      const done = new Promise<void>((resolve) => (finished = resolve))
      yield* Effect.gen(function*() {
        yield* Effect.promise(async () => {
          while (!context.projections.isReady()) await new Promise((r) => setTimeout(r, 20))
        })
        const outcome = yield* bootstrapAdmin({ ...context, configuredPassword }).pipe(
          // An edge may start before any actor host: wait for one rather than give up.
          Effect.tapError((error) =>
            error._tag === "CommandUnavailable" && !waiting
              ? Effect.sync(() => (waiting = true) && log("warn", "waiting for an actor host to create the bootstrap admin", { reason: error.message }))
              : Effect.void
          ),
          // An unknown outcome is retried only with a configured password: a generated one may be the one
          // stored, and a retry would print another; with a configured one the fixed admin id makes it harmless.
          Effect.retry({
            while: (error) => error._tag === "CommandUnavailable" || (error._tag === "CommandOutcomeUnknown" && configuredPassword !== undefined),
            schedule: Schedule.spaced("1 second")
          })
        )
        state.adminExists = true
        if (outcome.created) {
          log("info", "created the bootstrap user admin (domain machhub_admin, group superuser)")
          if (outcome.generatedPassword !== undefined) hooks.onAdminPasswordGenerated?.(outcome.generatedPassword)
        }
      }).pipe(
        Effect.catchCause((cause) => {
          // Stopped before an actor host appeared: nothing went wrong.
          if (Cause.hasInterruptsOnly(cause)) return Effect.void
          const error = Cause.squash(cause)
          return Effect.sync(() =>
            log("error", "could not create the bootstrap admin; set MACHHUB_ADMIN_PASSWORD and restart", {
              error: error instanceof Error ? error.message : String(error)
            })
          )
        }),
        Effect.ensuring(Effect.sync(() => finished())),
        Effect.forkScoped
      )
      return { done }
    })
  )
