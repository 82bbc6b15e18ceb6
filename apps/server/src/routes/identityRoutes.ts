import type { AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"
import { domainRoutes } from "./domains.js"
import { groupRoutes } from "./groups.js"
import { machhubAuthRoutes } from "./machhubAuth.js"
import { meRoutes } from "./me.js"
import { userRoutes } from "./users.js"

/** Identity and access routes (SPEC §2–§5), and the MACHHUB SDK's auth routes over them (§6a). */
export const identityRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => [
  ...meRoutes(context),
  ...domainRoutes(context),
  ...userRoutes(context),
  ...groupRoutes(context),
  ...machhubAuthRoutes(context)
]
