import { text, type Router } from "@machhub/adapters"
import type { RecordRouteContext } from "./records.js"

/** `GET /machhub/<table>/all` and `/count` — wired to the query engine. */
export const listRoutes = (router: Router, context: RecordRouteContext): void => {
  void context
  router.add("GET", "/machhub/:table/all", () => text(503, "listing is being wired"))
}
