import type { TagValues } from "../tags/values/TagValues.js"
import { makeHourSummaries, type HourSummaries } from "./hourSummaries.js"

const byPipeline = new WeakMap<TagValues, HourSummaries>()

/**
 * The node's one set of hour summaries over its historian, shared by the report routes and GraphQL.
 * Every value goes through the pipeline before it reaches the historian, so listening to it is
 * enough to forget an hour the moment a point is written into it (before any report can read it).
 */
export const reportSummaries = (source: { readonly tagValues: TagValues }): HourSummaries => {
  let summaries = byPipeline.get(source.tagValues)
  if (summaries === undefined) {
    const made = makeHourSummaries(source.tagValues.store)
    source.tagValues.subscribe((values) => made.written(values))
    byPipeline.set(source.tagValues, made)
    summaries = made
  }
  return summaries
}
