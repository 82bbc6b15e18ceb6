import type { HttpResponse } from "@machhub/adapters"
import { protect } from "../auth/protect.js"
import { eventCatalog } from "../generated/eventCatalog.js"
import type { RouteModule } from "../ServerContext.js"

/**
 * `GET /api/events/catalog`: every event type with its fields and NATS subjects, generated from the
 * event declarations in core (scripts/generate-event-catalog.mjs, also docs/events.md). Any
 * authenticated caller may read it: it describes shapes, never data.
 */
export const eventCatalogRoutes: RouteModule = (router, context) => {
  const answer: HttpResponse = { status: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify(eventCatalog) }
  router.add("GET", "/api/events/catalog", protect(context.authenticator, undefined, () => answer))
}
