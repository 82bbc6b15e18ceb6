import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"

/** Tag definitions, one stream per topic. Stream `tag-<domain>-<topic>`. */
export const TAG_CATEGORY = "tag"

/** Whether clients may write a tag's value (`RW`) or only read it (`R`). */
export const TagAccess = Schema.Literals(["R", "RW"]).annotate({
  identifier: "TagAccess",
  description: "Whether clients may write the tag's value (`RW`) or only subscribe to it (`R`)."
})
export type TagAccess = typeof TagAccess.Type

/**
 * How a tag's values are kept by the historian. `event`: every change; `timeseries`: the last value
 * in each `samplingTime` interval. `retention`: how long points are kept (absent: kept until the
 * settings change). Durations are `<n>s|m|h|d|w` strings, as written.
 */
export const HistorizeSettings = Schema.Struct({
  type: Schema.Literals(["event", "timeseries"]),
  samplingTime: Schema.optionalKey(Schema.String),
  retention: Schema.optionalKey(Schema.String)
}).annotate({
  identifier: "HistorizeSettings",
  description:
    "How a tag's values are kept by the historian. `event`: every change; `timeseries`: the last value in each `samplingTime` interval (timeseries only). `retention`: how long points are kept (absent: kept with no time limit). Durations are `<n>s|m|h|d|w` strings, as written."
})
export type HistorizeSettings = typeof HistorizeSettings.Type

/** A tag's definition as answered and projected. */
export interface TagDefinition {
  readonly topic: string
  readonly description?: string
  readonly access: TagAccess
  readonly historize?: HistorizeSettings
}

/**
 * The tag's whole definition, in full (not a diff), so each event reads on its own: a first
 * definition, a change, or a definition made when a value reached an undefined topic (`autocreated`).
 */
export const TagDefined = EventSchema("TagDefined", {
  topic: Schema.String.annotate({ description: "The tag's MQTT topic name in its domain, e.g. `Plant1/LineA/Temperature`." }),
  description: Schema.optionalKey(Schema.String),
  access: TagAccess,
  historize: Schema.optionalKey(HistorizeSettings.annotate({ description: "Absent: the tag's values are not historized." })),
  autocreated: Schema.optionalKey(Schema.Boolean.annotate({
    description: "True when a value published to a topic with no definition created it (MACHHUB_TAGS_AUTOCREATE)."
  }))
}, "The tag's whole definition, in full (not a diff), so each event reads on its own: a first definition, a change, or one made when a value reached an undefined topic (`autocreated`).")
export type TagDefined = typeof TagDefined.Type

/** The definition is gone; a later value or definition may create the tag again. */
export const TagRemoved = EventSchema("TagRemoved", {
  topic: Schema.String
}, "The definition is gone; a later value or definition may create the tag again.")
export type TagRemoved = typeof TagRemoved.Type

export type TagEvent = TagDefined | TagRemoved

export const TAG_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: TagEvent }> = [TagDefined, TagRemoved]
