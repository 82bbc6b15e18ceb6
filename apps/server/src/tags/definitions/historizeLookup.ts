import { parseDuration, type TagDefinition } from "@machhub/core"
import { tagDefinitions, type TagsReadModelSource } from "./tagDefinitions.js"

/** How the historian keeps a tag, durations in milliseconds (the value pipeline's `HistorizeSettings`). */
export interface HistorizeMillis {
  readonly type: "event" | "timeseries"
  readonly samplingMillis?: number
  readonly retentionMillis?: number
}

/**
 * `(domain, topic) => settings | undefined` over the tags read model, for the value pipeline: asked
 * for every value, so each definition's settings are converted once (the read model hands back the
 * same row until the tag changes).
 */
export const historizeLookup = (source: TagsReadModelSource): ((domain: string, topic: string) => HistorizeMillis | undefined) => {
  const tags = tagDefinitions(source)
  const converted = new WeakMap<TagDefinition, HistorizeMillis>()
  return (domain, topic) => {
    const tag = tags.get(domain, topic)
    if (tag?.historize === undefined) return undefined
    let settings = converted.get(tag)
    if (settings === undefined) {
      const { type, samplingTime, retention } = tag.historize
      const samplingMillis = samplingTime === undefined ? undefined : parseDuration(samplingTime)
      const retentionMillis = retention === undefined ? undefined : parseDuration(retention)
      settings = {
        type,
        ...(samplingMillis === undefined ? {} : { samplingMillis }),
        ...(retentionMillis === undefined ? {} : { retentionMillis })
      }
      converted.set(tag, settings)
    }
    return settings
  }
}
