import { Schema } from "effect"
import type { HttpResponse } from "@machhub/adapters"
import { anyCaller, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { eventCatalog } from "../generated/eventCatalog.js"
import type { ServerContext } from "../ServerContext.js"

/** Catalog area. */
export const eventCatalogRoutes = (_context: ServerContext): ReadonlyArray<AnyRoute> => {
  const answer: HttpResponse = { status: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify(eventCatalog) }
  return [
    route({
      method: "GET",
      path: "/api/events/catalog",
      tag: "catalog",
      summary: "Every event type with its fields and NATS subjects",
      description: "Generated from the event declarations in core (also docs/events.md). Any authenticated caller may read it: it describes shapes, never data.",
      access: anyCaller,
      responses: { 200: ok("The event catalog", Schema.Unknown) },
      handler: () => answer
    })
  ]
}
