/**
 * One value of one tag: the unit that flows through the value pipeline, whichever way it came in
 * (HTTP, MQTT, NATS) and wherever it goes (last value, historian, fan-out).
 */
export interface TagValue {
  readonly domain: string
  readonly topic: string
  /** Parsed JSON, or the payload as a string when it was not JSON. */
  readonly value: unknown
  /** Milliseconds since the epoch: the time the value is for (the sender's, or when it was received). */
  readonly timestamp: number
}

/** How a tag is historized (SPEC §7), with durations already in milliseconds. */
export interface HistorizeSettings {
  /** `event`: a point per change; `timeseries`: the last value of each samplingTime interval. */
  readonly type: "event" | "timeseries"
  /** Width of a timeseries interval; ignored for `event`. */
  readonly samplingMillis?: number
  /** Points older than this are pruned; absent keeps them. */
  readonly retentionMillis?: number
}

/** Where the pipeline learns whether (and how) a tag is historized: the tag definitions' read model. */
export type HistorizeLookup = (domain: string, topic: string) => HistorizeSettings | undefined

/**
 * Where values came from, so a fan-out listener does not send a value back where it came from (an
 * MQTT bridge skips values that arrived over MQTT): each value is recorded once, whichever way it came.
 */
export type ValueOrigin = "http" | "mqtt" | "nats" | "internal"

export type ValueListener = (values: ReadonlyArray<TagValue>, origin: ValueOrigin) => void
