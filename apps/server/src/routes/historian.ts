import { createGzip } from "node:zlib"
import { pipeline, Readable } from "node:stream"
import { Schema } from "effect"
import { json, streamed, text, type HttpResponse } from "@machhub/adapters"
import { anyCaller, body, content, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"
import { validateTopicName } from "../tags/topicName.js"
import { AGGREGATES, bucketCount, bucketize, FILLS, MAX_BUCKETS, type Aggregate, type Fill } from "../tags/values/buckets.js"
import { csvRows } from "../tags/values/csvExport.js"
import type { StoredPoint } from "../tags/values/HistorianStore.js"
import { parseDuration } from "../tags/values/duration.js"
import { INSTANT_FORMAT, parseInstant } from "../tags/values/instants.js"
import { zoneOf, type Zone } from "../tags/values/timeZone.js"
import { Json } from "./schemas.js"

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** The most raw points one answer holds; beyond, the caller is pointed to buckets. */
export const MAX_POINTS = 1_000_000
/** The most tags one CSV export takes. */
export const MAX_EXPORT_TOPICS = 100
/** Raw ranges longer than this many points are streamed, this many at a time. */
const STREAM_PAGE = 10_000
const JSON_TYPE = "application/json; charset=utf-8"

const Instant = Schema.Union([Schema.String, Schema.Number]).annotate({ description: INSTANT_FORMAT })
const RangeBody = Schema.Struct({
  topic: Schema.String,
  start_time: Instant,
  range: Schema.optional(Schema.String.annotate({ description: "How long after start_time: <n>s|m|h|d|w, 24h by default" })),
  end_time: Schema.optional(Instant.annotate({ description: "The end (excluded), instead of range" }))
})
const LastBody = Schema.Struct({
  topic: Schema.String,
  limit: Schema.optional(Schema.Number.annotate({ description: "1 to 100; 10 by default" })),
  sort: Schema.optional(Schema.Literals(["desc", "asc"]).annotate({ description: "desc (newest first, the default) or asc" }))
})
const ExportBody = Schema.Struct({
  topics: Schema.Array(Schema.String),
  startDate: Instant,
  endDate: Instant,
  timezone: Schema.optional(Schema.String.annotate({ description: "IANA time zone of buckets and timestamps; UTC by default" })),
  sampleRate: Schema.optional(Schema.String.annotate({ description: "<n>_second|minute|hour|day|week, or empty for every point" })),
  aggregation: Schema.optional(Schema.Literals(["mean", "sum", "min", "max", "median", "none", ""])),
  mapping: Schema.optional(Schema.Record(Schema.String, Schema.String).annotate({ description: "Column names for topics" }))
})
const Point = Schema.Struct({ timestamp: Schema.String, value: Json })
const q = (description: string) => Schema.optional(Schema.String.annotate({ description }))
const QueryParams = Schema.Struct({
  topic: q("The tag's topic (required)"),
  start: q(`The start, ${INSTANT_FORMAT}; 24 hours before end by default`),
  end: q("The end (excluded); now by default"),
  bucket: q("Bucket width <n>s|m|h|d|w; by default about 100 buckets over the range, rounded to a usual width"),
  agg: q(`Aggregates, comma separated: ${AGGREGATES.join(", ")}; avg by default`),
  fill: q("Empty buckets: none (left out, the default), null, previous or linear"),
  tz: q("IANA time zone the buckets are aligned in (local midnight for days); UTC by default")
})
const QueryAnswer = Schema.Struct({
  topic: Schema.String,
  bucket: Schema.String,
  tz: Schema.String,
  points: Schema.Array(Schema.Record(Schema.String, Json))
})

/** Usual bucket widths, for a query that names none: the first giving at most ~100 buckets. */
const AUTO_BUCKETS = ["1s", "5s", "10s", "15s", "30s", "1m", "5m", "10m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "1w"] as const

const SAMPLE_RATE = /^([1-9][0-9]{0,5})_(second|minute|hour|day|week)s?$/
const SAMPLE_UNIT: Record<string, number> = { second: 1_000, minute: 60_000, hour: HOUR, day: DAY, week: 7 * DAY }

const EXPORT_AGGREGATES: Readonly<Record<string, Aggregate | undefined>> = { mean: "avg", sum: "sum", min: "min", max: "max", median: "median" }

const RANGE_FORMAT = 'a whole number and a unit s, m, h, d or w, such as "30m", "24h" or "7d"'

type Parsed<T> = { ok: true; value: T } | { ok: false; response: HttpResponse }
const bad = (message: string): { ok: false; response: HttpResponse } => ({ ok: false, response: text(400, message) })

const topicOf = (topic: string, field = "topic"): Parsed<string> => {
  const check = validateTopicName(topic)
  return check.ok ? { ok: true, value: topic } : bad(`${field}: ${check.message}`)
}

const instantOf = (given: unknown, field: string): Parsed<number> => {
  const t = parseInstant(given)
  return t === undefined ? bad(`${field} must be ${INSTANT_FORMAT}`) : { ok: true, value: t }
}

const zoneNamed = (name: string | undefined, field: string): Parsed<Zone> => {
  const zone = zoneOf(name === undefined || name === "" ? "UTC" : name)
  return zone === undefined ? bad(`${field} "${name!.slice(0, 64)}" is not an IANA time zone (e.g. UTC, Europe/Paris, Asia/Kuala_Lumpur)`) : { ok: true, value: zone }
}

/** A stored value as JSON text: numbers are kept as numbers, anything else as its JSON. */
const valueJson = (num: number | null, stored: string | null): string => (stored === null ? String(num) : stored)

/** Points as the SDK reads them: `{"timestamp":"<ISO>","value":<JSON>}`, joined by commas. */
const pointsJson = (points: ReadonlyArray<StoredPoint>): string =>
  points.map(([ts, num, stored]) => `{"timestamp":"${new Date(ts).toISOString()}","value":${valueJson(num, stored)}}`).join(",")

const acceptsGzip = (header: string | undefined): boolean =>
  header !== undefined && header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";")
    return (coding === "gzip" || coding === "*") && !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))
  })

/**
 * The historian's routes (SPEC §7): raw points of a range, the latest points, the aggregated CSV
 * export (the SDK's getHistoricalDataAsCSV) and the bucketed JSON query for charts. Every route reads
 * the caller's active domain only: a topic names a series within it, never another domain's.
 */
export const historianRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const values = context.tagValues
  const seriesOf = (domain: string, topic: string) => {
    // Values still queued for disk are part of what a reader sees (read-your-writes).
    values.flush()
    return values.store.findSeries(domain, topic)
  }
  const historianRead = requires("historian", "read", "domain")

  return [
    route({
      method: "PATCH",
      path: "/machhub/historian",
      tag: "historian",
      summary: "A tag's points over a time range, in time order: [{ timestamp, value }]",
      description: `From start_time (included) for range (24h by default) or up to end_time (excluded). At most ${MAX_POINTS.toLocaleString("en-US")} points; use GET /api/historian/query for longer ranges.`,
      access: historianRead,
      body: body(RangeBody),
      responses: {
        200: ok("The points", Schema.Array(Point)),
        400: error("A topic that is not a valid topic name, a start_time or end_time that does not parse, a range that does not parse, or too many points"),
        403: error("Missing permission historian:read:domain")
      },
      handler: ({ body, principal }) => {
        const topic = topicOf(body.topic)
        if (!topic.ok) return topic.response
        const from = instantOf(body.start_time, "start_time")
        if (!from.ok) return from.response
        let to: number
        if (body.end_time !== undefined) {
          if (body.range !== undefined) return text(400, "Give range or end_time, not both")
          const end = instantOf(body.end_time, "end_time")
          if (!end.ok) return end.response
          if (end.value < from.value) return text(400, "end_time is before start_time")
          to = end.value
        } else {
          const range = body.range === undefined ? DAY : parseDuration(body.range)
          if (range === undefined) return text(400, `range "${body.range!.slice(0, 64)}" does not parse: write ${RANGE_FORMAT}`)
          to = from.value + range
        }
        const series = seriesOf(principal.domain, topic.value)
        if (series === undefined) return json(200, [])
        const total = values.store.count(series, from.value, to)
        if (total > MAX_POINTS) {
          return text(400, `The range holds ${total} points, more than ${MAX_POINTS}: ask a shorter range, or buckets with GET /api/historian/query`)
        }
        if (total <= STREAM_PAGE) return { status: 200, contentType: JSON_TYPE, body: `[${pointsJson(values.store.range(series, from.value, to))}]` }
        // A long range leaves a page at a time, so the answer never sits whole in memory.
        const store = values.store
        const start = from.value
        return streamed(200, JSON_TYPE, (async function*() {
          yield "["
          let after = start - 1
          for (let first = true;; first = false) {
            const page = store.page(series, after, to, STREAM_PAGE)
            if (page.length > 0) yield `${first ? "" : ","}${pointsJson(page)}`
            if (page.length < STREAM_PAGE) break
            after = page[page.length - 1]![0]
          }
          yield "]"
        })())
      }
    }),

    route({
      method: "PATCH",
      path: "/machhub/historian/last",
      tag: "historian",
      summary: "A tag's latest points: [{ timestamp, value }], newest first unless sort is asc",
      access: historianRead,
      body: body(LastBody),
      responses: {
        200: ok("The latest points", Schema.Array(Point)),
        400: error("A topic that is not a valid topic name, or a limit outside 1..100"),
        403: error("Missing permission historian:read:domain")
      },
      handler: ({ body, principal }) => {
        const topic = topicOf(body.topic)
        if (!topic.ok) return topic.response
        const limit = body.limit ?? 10
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return text(400, `limit must be a whole number from 1 to 100, not ${limit}`)
        const series = seriesOf(principal.domain, topic.value)
        if (series === undefined) return json(200, [])
        const latest = values.store.latest(series, limit)
        const ordered = body.sort === "asc" ? [...latest].reverse() : latest
        return { status: 200, contentType: JSON_TYPE, body: `[${pointsJson(ordered)}]` }
      }
    }),

    route({
      method: "POST",
      path: "/machhub/historian/export/aggregated",
      tag: "historian",
      summary: "Tags' history as CSV (Timestamp,<topic>...), bucketed and aggregated on request; streamed, gzip when accepted",
      description: "sampleRate `<n>_second|minute|hour|day|week` buckets the rows (aligned in timezone); aggregation mean, sum, min, max or median says what a bucket holds (its last value with none). " +
        "Without sampleRate every stored instant is a row. Timestamps are ISO 8601 with the zone's offset. Sent with Content-Encoding: gzip when Accept-Encoding allows it.",
      access: historianRead,
      body: body(ExportBody),
      responses: {
        200: content("text/csv", "Timestamp,<topic or mapped name>... then one row per instant or bucket"),
        400: error("No topics or too many, a topic that is not a valid topic name, a date that does not parse, an unknown time zone, sample rate or aggregation"),
        403: error("Missing permission historian:read:domain")
      },
      handler: ({ body, principal, request }) => {
        if (body.topics.length === 0) return text(400, "topics is empty: name at least one tag")
        if (body.topics.length > MAX_EXPORT_TOPICS) return text(400, `topics names ${body.topics.length} tags; at most ${MAX_EXPORT_TOPICS} are exported at once`)
        for (const [i, topic] of body.topics.entries()) {
          const check = topicOf(topic, `topics[${i}]`)
          if (!check.ok) return check.response
        }
        const from = instantOf(body.startDate, "startDate")
        if (!from.ok) return from.response
        const to = instantOf(body.endDate, "endDate")
        if (!to.ok) return to.response
        if (to.value < from.value) return text(400, "endDate is before startDate")
        const zone = zoneNamed(body.timezone, "timezone")
        if (!zone.ok) return zone.response
        let width: number | undefined
        if (body.sampleRate !== undefined && body.sampleRate !== "") {
          const match = SAMPLE_RATE.exec(body.sampleRate)
          if (match === null) return text(400, `sampleRate "${body.sampleRate.slice(0, 64)}" does not parse: write <n>_second, <n>_minute, <n>_hour, <n>_day or <n>_week (e.g. "5_second", "1_hour")`)
          width = Number(match[1]) * SAMPLE_UNIT[match[2]!]!
        }
        const aggregate = body.aggregation === undefined ? undefined : EXPORT_AGGREGATES[body.aggregation]
        const mapping = body.mapping ?? {}
        values.flush()
        const columns = body.topics.map((topic) => ({
          series: values.store.findSeries(principal.domain, topic),
          header: Object.hasOwn(mapping, topic) ? mapping[topic]! : topic
        }))
        const rows = csvRows({
          store: values.store,
          columns,
          from: from.value,
          // endDate is included: an export "to 2024-01-31T00:00:00Z" has the point stamped then.
          to: to.value + 1,
          zone: zone.value,
          ...(width === undefined ? {} : { width }),
          ...(aggregate === undefined ? {} : { aggregate })
        })
        const headers: Record<string, string> = { "Content-Disposition": 'attachment; filename="historian.csv"', Vary: "Accept-Encoding" }
        if (!acceptsGzip(request.headers["accept-encoding"])) return streamed(200, "text/csv; charset=utf-8", rows, headers)
        const gzip = createGzip()
        // One fate for both: a client gone away destroys the gzip stream, which ends the rows' generator;
        // a failing read destroys the gzip stream, which cuts the answer short rather than leaving it hanging.
        pipeline(Readable.from(rows), gzip, () => undefined)
        return streamed(200, "text/csv; charset=utf-8", gzip, { ...headers, "Content-Encoding": "gzip" })
      }
    }),

    route({
      method: "GET",
      path: "/api/historian/query",
      tag: "historian",
      summary: "A tag's history in time buckets aligned in a time zone, with aggregates and a fill for empty buckets: { topic, bucket, tz, points: [{ t, avg, ... }] }",
      description: "t is each bucket's start, ISO 8601 with the zone's offset. Aggregates avg, min, max, sum and median are over numeric values; count, first and last over every value.",
      access: historianRead,
      query: QueryParams,
      responses: {
        200: ok("The buckets, in time order", QueryAnswer),
        400: error("A missing or invalid topic, a start or end that does not parse, an unknown bucket width, aggregate, fill or time zone, or more than 100,000 buckets"),
        403: error("Missing permission historian:read:domain")
      },
      handler: ({ request, principal }) => {
        const params = new URLSearchParams(request.query)
        const topicText = params.get("topic")
        if (topicText === null || topicText === "") return text(400, "topic is required: ?topic=<the tag's topic>")
        const topic = topicOf(topicText)
        if (!topic.ok) return topic.response
        const endText = params.get("end")
        const end = endText === null || endText === "" ? { ok: true as const, value: Date.now() } : instantOf(endText, "end")
        if (!end.ok) return end.response
        const startText = params.get("start")
        const start = startText === null || startText === "" ? { ok: true as const, value: Math.max(0, end.value - DAY) } : instantOf(startText, "start")
        if (!start.ok) return start.response
        if (end.value < start.value) return text(400, "end is before start")
        const bucketText = params.get("bucket") ?? ""
        let bucket: string
        if (bucketText === "") {
          bucket = AUTO_BUCKETS.find((width) => (end.value - start.value) / parseDuration(width)! <= 100) ?? "1w"
        } else {
          if (parseDuration(bucketText) === undefined) return text(400, `bucket "${bucketText.slice(0, 64)}" does not parse: write ${RANGE_FORMAT}`)
          bucket = bucketText
        }
        const width = parseDuration(bucket)!
        const aggregates: Array<Aggregate> = []
        for (const name of (params.get("agg") || "avg").split(",")) {
          const trimmed = name.trim()
          if (!(AGGREGATES as ReadonlyArray<string>).includes(trimmed)) return text(400, `agg "${trimmed.slice(0, 32)}" is not one of ${AGGREGATES.join(", ")}`)
          if (!aggregates.includes(trimmed as Aggregate)) aggregates.push(trimmed as Aggregate)
        }
        const fill = params.get("fill") || "none"
        if (!(FILLS as ReadonlyArray<string>).includes(fill)) return text(400, `fill "${fill.slice(0, 32)}" is not one of ${FILLS.join(", ")}`)
        const zone = zoneNamed(params.get("tz") ?? undefined, "tz")
        if (!zone.ok) return zone.response
        if (bucketCount({ from: start.value, to: end.value, width }) > MAX_BUCKETS) {
          return text(400, `bucket ${bucket} over this range makes more than ${MAX_BUCKETS} buckets: ask a wider bucket or a shorter range`)
        }
        const series = seriesOf(principal.domain, topic.value)
        const points = bucketize(values.store, series, { zone: zone.value, width, from: start.value, to: end.value, aggregates, fill: fill as Fill })
        return json(200, { topic: topic.value, bucket, tz: zone.value.name, points })
      }
    }),

    route({
      method: "POST",
      path: "/machhub/historian/query",
      tag: "historian",
      summary: "Raw SurrealQL queries (MACHHUB's sdk.historian.query): not supported, answered 501 naming the aggregate API",
      access: anyCaller,
      responses: { 501: error("Always: this server has no SurrealQL; the message names the routes that answer the same questions") },
      handler: () =>
        text(
          501,
          "Raw SurrealQL historian queries are not supported. For buckets and aggregates use GET /api/historian/query?topic=<topic>&start=<ISO>&end=<ISO>&bucket=1h&agg=avg,min,max,sum,count,first,last,median&fill=none&tz=UTC; " +
            "for raw points PATCH /machhub/historian { topic, start_time, range }; for CSV POST /machhub/historian/export/aggregated."
        )
    })
  ]
}
