import { text, type HttpHandler } from "@machhub/adapters"
import type { ProjectionRunnerService } from "@machhub/projections"
import { runPromise } from "../runtime.js"

/**
 * How long a request naming a position waits for this node's read models to reach it. Nodes follow
 * one log, usually milliseconds apart; past this the caller is told to retry rather than held.
 */
const POSITION_WAIT_MILLIS = 2_000

const POSITION = /^\d{1,16}$/

const creatingAdmin = text(503, "The server is starting and creating its bootstrap admin; retry shortly", { "Retry-After": "1" })
const catchingUp = text(503, "The server is starting and its read models are catching up; retry shortly", { "Retry-After": "1" })

/**
 * Routes answer from this node's read models. While they catch up after start, a route answers 503
 * rather than stale data. A request carrying `App-Event-Position` (as returned by a write, perhaps made
 * through another node) is answered once this node has applied that position: read-your-writes
 * across nodes. Until the bootstrap admin exists, every route answers 503 too (see `edgeReadiness`).
 */
export const readModelGate = (projections: ProjectionRunnerService, adminExists: () => boolean, handler: HttpHandler): HttpHandler => (request) => {
  if (!projections.isReady()) return catchingUp
  // Until the bootstrap admin exists no login can succeed; a failed one would count against the throttle.
  if (!adminExists()) return creatingAdmin
  const header = request.headers["app-event-position"]
  if (header === undefined) return handler(request)
  if (!POSITION.test(header)) {
    return text(400, "App-Event-Position must be a position as returned by a write (a whole number, e.g. 1234)")
  }
  const target = Number(header)
  if (target <= projections.position()) return handler(request)
  return runPromise(projections.waitFor(target, POSITION_WAIT_MILLIS)).then((reached) =>
    reached
      ? handler(request)
      : text(503, `This node's read models have not reached position ${target} yet (they are at ${projections.position()}); retry shortly`, {
        "Retry-After": "1"
      })
  )
}
