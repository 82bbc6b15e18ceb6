import type Database from "better-sqlite3"
import { makeReportingMachinesReadModel, type ReportingMachinesReadModel } from "@machhub/projections"

const byDatabase = new WeakMap<Database.Database, ReportingMachinesReadModel>()

/** The node's one reporting machines read model (its statements prepared once), shared by routes and reports. */
export const reportingMachines = (source: { readonly readModels: Database.Database }): ReportingMachinesReadModel => {
  let model = byDatabase.get(source.readModels)
  if (model === undefined) {
    model = makeReportingMachinesReadModel(source.readModels)
    byDatabase.set(source.readModels, model)
  }
  return model
}
