import type Database from "better-sqlite3"
import type { RecordedEvent } from "@machhub/core"
import { makeReportingMachinesReadModel, type ReportingMachineRow, type ReportingMachinesReadModel } from "@machhub/projections"

/** What the reporting machines read model is built from: the node's read-model database and its projection runner. */
export interface ReportingMachinesSource {
  readonly readModels: Database.Database
  readonly projections: { readonly onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void }
}

const byDatabase = new WeakMap<Database.Database, ReportingMachinesReadModel>()

/** Domains whose machine lists are kept at most; past it they are all read again. */
const MAX_DOMAINS = 1_000

/**
 * The node's one reporting machines read model (its statements prepared once), shared by routes,
 * reports and GraphQL. A domain's list is kept once read: dashboards ask GraphQL for the machines
 * many times a second, and reading and parsing every definition each time was most of that work.
 * Any machine defined or removed forgets the lists, in the call that updates the read model.
 */
export const reportingMachines = (source: ReportingMachinesSource): ReportingMachinesReadModel => {
  let model = byDatabase.get(source.readModels)
  if (model === undefined) {
    const inner = makeReportingMachinesReadModel(source.readModels)
    let lists = new Map<string, Array<ReportingMachineRow>>()
    source.projections.onApplied((events) => {
      if (events.some((event) => event.type === "ReportingMachineDefined" || event.type === "ReportingMachineRemoved")) lists = new Map()
    })
    model = {
      ...inner,
      list: (domain) => {
        let list = lists.get(domain)
        if (list === undefined) {
          if (lists.size >= MAX_DOMAINS) lists = new Map()
          list = inner.list(domain)
          lists.set(domain, list)
        }
        // A copy of the list: callers may sort or filter it; the rows themselves are read-only.
        return list.slice()
      }
    }
    byDatabase.set(source.readModels, model)
  }
  return model
}
