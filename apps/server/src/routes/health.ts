import { Schema } from "effect"
import { json, text, type HttpHandler } from "@machhub/adapters"
import { content, ok, publicRoute, route, type AnyRoute } from "../api/RouteDeclaration.js"

const alive = json(200, { status: "ok" })

/** Liveness: the process answers. Cheap on purpose; load balancers call it constantly. */
export const healthz: HttpHandler = () => alive

/** Whether this process can do its work now: what it reports when ready, or why it is not. */
export type Readiness = () =>
  | { readonly ready: true; readonly state: Readonly<Record<string, unknown>> }
  | { readonly ready: false; readonly reason: string }

/** Ready once projections have caught up with the log as it stood at start, so queries are current. */
export const readModelsReadiness = (projections: { isReady: () => boolean; position: () => number }): Readiness => () =>
  projections.isReady()
    ? { ready: true, state: { position: projections.position() } }
    : { ready: false, reason: `read models are catching up (at position ${projections.position()})` }

/** An actor host without read models is ready while it can receive commands, i.e. while NATS is connected. */
export const commandIntakeReadiness = (nats: { isConnected: () => boolean }): Readiness => () =>
  nats.isConnected() ? { ready: true, state: {} } : { ready: false, reason: "NATS is disconnected, so no command can arrive" }

/**
 * An edge is ready once it can also serve a login: the bootstrap admin exists (made now, or earlier,
 * perhaps by another node). Before that a login would fail and count against the login throttle.
 */
export const edgeReadiness = (readModels: Readiness, adminExists: () => boolean): Readiness => () => {
  const now = readModels()
  if (!now.ready) return now
  return adminExists() ? now : { ready: false, reason: "the bootstrap admin is being created" }
}

export const readyz = (readiness: Readiness): HttpHandler => () => {
  const now = readiness()
  return now.ready
    ? json(200, { status: "ready", ...now.state })
    : text(503, `Not ready: ${now.reason}; retry shortly`, { "Retry-After": "1" })
}

/** Health area: liveness and readiness, public, answered by every node whatever its roles. */
export const healthRoutes = (readiness: Readiness): ReadonlyArray<AnyRoute> => {
  const ready = readyz(readiness)
  return [
    route({
      method: "GET",
      path: "/healthz",
      tag: "health",
      summary: "Liveness: the process answers",
      access: publicRoute,
      responses: { 200: ok("Alive", Schema.Struct({ status: Schema.Literal("ok") })) },
      handler: () => alive
    }),
    route({
      method: "GET",
      path: "/readyz",
      tag: "health",
      summary: "Readiness: read models current (and, on an edge, the bootstrap admin created)",
      access: publicRoute,
      responses: {
        200: ok("Ready, with this node's state (e.g. its read models' log position)", Schema.Struct({ status: Schema.Literal("ready") })),
        503: content("text/plain", "Not ready yet, with the reason; retry after Retry-After")
      },
      handler: ({ request }) => ready(request)
    })
  ]
}
