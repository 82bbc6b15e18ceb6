import { Context } from "effect"
import type { Router, WebSocketRoutes } from "@machhub/adapters"
import type { Authenticator as AuthenticatorService } from "../auth/Authenticator.js"
import type { RunningMqtt } from "../mqtt/startMqtt.js"
import type { EffectRunner } from "../runtime.js"
import type { ServerContext } from "../ServerContext.js"
import type { TagValues } from "../tags/values/TagValues.js"
import type { WriteGate } from "../tags/values/writeGate.js"

/**
 * The services of the server's outer Layers (see ServerLayer.ts): what the HTTP edge and the
 * subsystems behind it provide one another. Which of them a process has depends on its roles.
 */

/** Authentication of API callers (JWT, API key, terminal session), from this node's read models. */
export class Authenticator extends Context.Service<Authenticator, AuthenticatorService>()("@machhub/server/Authenticator") {}

/** Runs Effects from promise code (route handlers, timers) with the server's logger; forks join the runner Layer's scope. */
export class Runner extends Context.Service<Runner, EffectRunner>()("@machhub/server/Runner") {}

/** What the edge learns as it starts, read by routes and readiness before it is known. */
export interface EdgeState {
  /** The configured port until the HTTP server listens, then the one it got. */
  httpPort: number
  /** Set once the bootstrap admin exists: an edge is not ready (and its routes answer 503) before. */
  adminExists: boolean
  /** Known once MQTT runs (it starts after the routes are mounted, before the HTTP server). */
  mqtt: RunningMqtt | undefined
}

/** The router and WebSocket routes the HTTP server serves, and the edge's state; health routes mounted. */
export class HttpRoutes extends Context.Service<HttpRoutes, {
  readonly router: Router
  readonly sockets: WebSocketRoutes
  readonly state: EdgeState
}>()("@machhub/server/HttpRoutes") {}

/** The tag value pipeline (last values, historian, fan-out) and the tag rules a client's write passes. */
export class EdgeTagValues extends Context.Service<EdgeTagValues, {
  readonly tagValues: TagValues
  readonly tagWrites: WriteGate
}>()("@machhub/server/EdgeTagValues") {}

/** Everything route modules use, with the edge's routes mounted on the router. */
export class Edge extends Context.Service<Edge, ServerContext>()("@machhub/server/Edge") {}

/** The HTTP server, listening. */
export class HttpListener extends Context.Service<HttpListener, { readonly port: number }>()("@machhub/server/HttpListener") {}

/** Resolves once the bootstrap admin exists (created now or before); at once on a process without the edge role. */
export class AdminBootstrap extends Context.Service<AdminBootstrap, { readonly done: Promise<void> }>()("@machhub/server/AdminBootstrap") {}
