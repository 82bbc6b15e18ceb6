import type { AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"

/** The report routes (SPEC §9): `POST /reports/production` and `POST /reports/downtime`. */
export const reportRoutes = (_context: ServerContext): ReadonlyArray<AnyRoute> => []
