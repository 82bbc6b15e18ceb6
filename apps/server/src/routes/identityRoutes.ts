import type { RouteModule } from "../ServerContext.js"
import { meRoutes } from "./me.js"

/** Identity and access routes (SPEC §2–§5). */
export const identityRoutes: RouteModule = (router, context) => {
  meRoutes(router, context)
}
