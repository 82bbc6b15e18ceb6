import { Effect, Layer, Option } from "effect"
import { Nats, Router, WebSocketRoutes } from "@machhub/adapters"
import { ProjectionRunner } from "@machhub/projections"
import { mount } from "../api/mount.js"
import { commandIntakeReadiness, edgeReadiness, healthRoutes, readModelsReadiness } from "../routes/health.js"
import { type EdgeState, HttpRoutes } from "./services.js"

/**
 * The router and WebSocket routes of this process, with its health routes: ready when the command
 * intake is (no read models), when the read models are current, and on an edge (`servesApi`) once
 * the bootstrap admin exists too.
 */
export const HttpRoutesLayer = (options: { readonly port: number; readonly servesApi: boolean }) =>
  Layer.effect(
    HttpRoutes,
    Effect.gen(function*() {
      const projections = Option.getOrUndefined(yield* Effect.serviceOption(ProjectionRunner))
      const nats = Option.getOrUndefined(yield* Effect.serviceOption(Nats))
      const state: EdgeState = { httpPort: options.port, adminExists: false, mqtt: undefined }
      const router = new Router()
      mount(router, healthRoutes(
        projections === undefined
          ? commandIntakeReadiness(nats!)
          : options.servesApi
          ? edgeReadiness(readModelsReadiness(projections), () => state.adminExists)
          : readModelsReadiness(projections)
      ))
      return { router, sockets: new WebSocketRoutes(), state }
    })
  )
