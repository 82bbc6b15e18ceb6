import { Effect, Layer, Option } from "effect"
import { Nats } from "@machhub/adapters"
import { CommandBus, EventBus, EventStore, PasswordHasher, TokenService } from "@machhub/core"
import { makeDomainsReadModel, makeGroupsReadModel, makeUsersReadModel, ProjectionRunner, ReadModelDatabase } from "@machhub/projections"
import type { RequestOrigins } from "../audit/RequestOrigins.js"
import { makeLoginThrottle } from "../auth/LoginThrottle.js"
import type { ServerConfig } from "../config.js"
import { readModelGate } from "../routes/readModelGate.js"
import { mountEdgeRoutes, UNGATED_PATHS } from "../routes/index.js"
import { runningOn } from "../runtime.js"
import type { ServerContext } from "../ServerContext.js"
import { Authenticator, Edge, EdgeTagValues, HttpRoutes, Runner } from "./services.js"

/**
 * The edge role: every API route, answered from this node's read models, with commands sent on the
 * bus; mounted on the router before the HTTP server starts. Route modules get the context built here.
 */
export const EdgeLayer = (config: ServerConfig, origins: RequestOrigins) =>
  Layer.effect(
    Edge,
    Effect.gen(function*() {
      const db = yield* ReadModelDatabase
      const projections = yield* ProjectionRunner
      const { router, sockets, state } = yield* HttpRoutes
      const run = yield* Runner
      const users = makeUsersReadModel(db)
      const context: ServerContext = {
        config,
        store: yield* EventStore,
        commands: yield* CommandBus,
        events: yield* EventBus,
        passwords: yield* PasswordHasher,
        tokens: yield* TokenService,
        authenticator: yield* Authenticator,
        nats: Option.getOrUndefined(yield* Effect.serviceOption(Nats)),
        projections,
        readModels: db,
        users,
        groups: makeGroupsReadModel(db),
        domains: makeDomainsReadModel(db),
        loginThrottle: makeLoginThrottle({
          maxFailuresPerUsername: config.loginMaxFailures,
          maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
          windowSeconds: config.loginThrottleWindowSeconds
        }),
        sockets,
        httpPort: () => state.httpPort,
        mqttListeners: () => state.mqtt?.listeners,
        run,
        ...(yield* EdgeTagValues)
      }
      mountEdgeRoutes(router, context)
      // Innermost, so that Effects a handler starts run on this server's runner (see runtime.ts).
      router.guardAll(
        (handler) => readModelGate(projections, () => state.adminExists, origins.track(runningOn(run, handler))),
        ["/healthz", "/readyz", ...UNGATED_PATHS]
      )
      return context
    })
  )
