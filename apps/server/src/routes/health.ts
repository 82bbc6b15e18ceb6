import { json, text, type HttpHandler } from "@machhub/adapters"

const alive = json(200, { status: "ok" })

/** Liveness: the process answers. Cheap on purpose; load balancers call it constantly. */
export const healthz: HttpHandler = () => alive

/** Readiness: projections have caught up with the log as it stood at start, so queries are current. */
export const readyz = (projections: { isReady: () => boolean; position: () => number }): HttpHandler => () =>
  projections.isReady()
    ? json(200, { status: "ready", position: projections.position() })
    : text(503, `Not ready: read models are catching up (at position ${projections.position()}); retry shortly`, { "Retry-After": "1" })
