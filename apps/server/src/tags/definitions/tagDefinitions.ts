import type Database from "better-sqlite3"
import type { RecordedEvent } from "@machhub/core"
import { makeTagsReadModel, type TagsReadModel } from "@machhub/projections"

/** What the tags read model is built from: the node's read-model database and its projection runner. */
export interface TagsReadModelSource {
  readonly readModels: Database.Database
  readonly projections: { readonly onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void }
}

const byDatabase = new WeakMap<Database.Database, TagsReadModel>()

/** Topics remembered per domain at most; past it that domain's lookups start over. */
const MAX_REMEMBERED = 50_000

/**
 * The node's one tags read model: routes, the value pipeline and MQTT share it (and its in-memory
 * lookups, kept current by the projection runner), however many of them ask for it.
 *
 * `get` is asked two or three times for every value (write rules, historize settings), so its
 * answers are kept here too, by domain then topic: the strings a value arrives with are looked up
 * as they are, where the read model's own cache would build a key string per call. Any tag defined
 * or removed forgets them all (definitions change rarely; values come by the thousand), in the same
 * call that updates the read model, so no answer outlives its definition.
 */
export const tagDefinitions = (source: TagsReadModelSource): TagsReadModel => {
  let model = byDatabase.get(source.readModels)
  if (model === undefined) {
    const inner = makeTagsReadModel(source.readModels, source.projections.onApplied)
    let remembered = new Map<string, Map<string, ReturnType<TagsReadModel["get"]> | null>>()
    source.projections.onApplied((events) => {
      if (events.some((event) => event.type === "TagDefined" || event.type === "TagRemoved")) remembered = new Map()
    })
    model = {
      ...inner,
      get: (domain, topic) => {
        let topics = remembered.get(domain)
        if (topics === undefined) remembered.set(domain, (topics = new Map()))
        let row = topics.get(topic)
        if (row === undefined) {
          row = inner.get(domain, topic) ?? null
          if (topics.size >= MAX_REMEMBERED) topics.clear()
          topics.set(topic, row)
        }
        return row ?? undefined
      }
    }
    byDatabase.set(source.readModels, model)
  }
  return model
}
