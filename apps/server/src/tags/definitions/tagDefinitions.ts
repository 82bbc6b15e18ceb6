import type Database from "better-sqlite3"
import type { RecordedEvent } from "@machhub/core"
import { makeTagsReadModel, type TagsReadModel } from "@machhub/projections"

/** What the tags read model is built from: the node's read-model database and its projection runner. */
export interface TagsReadModelSource {
  readonly readModels: Database.Database
  readonly projections: { readonly onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void }
}

const byDatabase = new WeakMap<Database.Database, TagsReadModel>()

/**
 * The node's one tags read model: routes, the value pipeline and MQTT share it (and its in-memory
 * lookups, kept current by the projection runner), however many of them ask for it.
 */
export const tagDefinitions = (source: TagsReadModelSource): TagsReadModel => {
  let model = byDatabase.get(source.readModels)
  if (model === undefined) {
    model = makeTagsReadModel(source.readModels, source.projections.onApplied)
    byDatabase.set(source.readModels, model)
  }
  return model
}
