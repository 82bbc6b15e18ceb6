import { json, text, type HttpHandler } from "@machhub/adapters"

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
