import { Effect } from "effect"
import { makeRecordsReadModel } from "@machhub/projections"
import type { AnyRoute } from "../api/RouteDeclaration.js"
import { openRecordFiles } from "../data/files/RecordFiles.js"
import { SchemaValidator } from "../data/SchemaValidator.js"
import type { ServerContext } from "../ServerContext.js"
import { collectionRoutes } from "./collections.js"
import { recordFileRoutes } from "./recordFiles.js"
import { listRoutes } from "./recordLists.js"
import { recordRoutes, type RecordRouteContext } from "./records.js"

/** The collections data plane (SPEC §6). */
export const dataRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const files = openRecordFiles(context.config.dataDir)
  // Settles files left by writes of unknown outcome, then holds the index open until the server's
  // runtime is disposed (after the HTTP edge drained), and closes it.
  context.run.runFork(files.reconcile(context.store).pipe(Effect.andThen(Effect.never), Effect.ensuring(Effect.sync(files.close))))
  const data: RecordRouteContext = { ...context, records: makeRecordsReadModel(context.readModels, context.projections.onApplied), schemas: new SchemaValidator(), files }
  return [...collectionRoutes(data), ...listRoutes(data), ...recordFileRoutes(data), ...recordRoutes(data)]
}
