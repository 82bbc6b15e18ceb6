import { makeRecordsReadModel } from "@machhub/projections"
import { SchemaValidator } from "../data/SchemaValidator.js"
import type { RouteModule } from "../ServerContext.js"
import { collectionRoutes } from "./collections.js"
import { listRoutes } from "./recordLists.js"
import { recordRoutes, type RecordRouteContext } from "./records.js"

/** The collections data plane (SPEC §6). */
export const dataRoutes: RouteModule = (router, context) => {
  const data: RecordRouteContext = { ...context, records: makeRecordsReadModel(context.readModels, context.projections.onApplied), schemas: new SchemaValidator() }
  collectionRoutes(router, data)
  listRoutes(router, data)
  recordRoutes(router, data)
}
