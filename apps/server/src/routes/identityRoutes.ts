import type { RouteModule } from "../ServerContext.js"
import { domainRoutes } from "./domains.js"
import { groupRoutes } from "./groups.js"
import { meRoutes } from "./me.js"
import { userRoutes } from "./users.js"

/** Identity and access routes (SPEC §2–§5). */
export const identityRoutes: RouteModule = (router, context) => {
  meRoutes(router, context)
  domainRoutes(router, context)
  userRoutes(router, context)
  groupRoutes(router, context)
}
