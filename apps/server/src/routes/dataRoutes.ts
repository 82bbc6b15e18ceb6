import { makeRecordsReadModel } from "@machhub/projections"
import type { AnyRoute } from "../api/RouteDeclaration.js"
import { SchemaValidator } from "../data/SchemaValidator.js"
import type { ServerContext } from "../ServerContext.js"
import { collectionRoutes } from "./collections.js"
import { listRoutes } from "./recordLists.js"
import { recordRoutes, type RecordRouteContext } from "./records.js"

/** The collections data plane (SPEC §6). */
export const dataRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const data: RecordRouteContext = { ...context, records: makeRecordsReadModel(context.readModels, context.projections.onApplied), schemas: new SchemaValidator() }
  return [...collectionRoutes(data), ...listRoutes(data), ...recordRoutes(data)]
}
