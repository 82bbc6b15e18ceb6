import { Schema } from "effect"
import { json, readJsonBody, text, type HttpResponse } from "@machhub/adapters"
import { bodyReadByHandler, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import type { ServerContext } from "../ServerContext.js"
import { validateTopicName } from "../tags/topicName.js"
import { INSTANT_FORMAT, parseInstant } from "../tags/values/instants.js"
import type { TagValue } from "../tags/values/TagValue.js"
import { Json } from "./schemas.js"

/** The most values one `POST /machhub/tag/batch` takes (SPEC §7). */
export const MAX_BATCH = 10_000

const topicParam = { topic: "The tag's topic, slashes as they are (Plant1/LineA/Temperature) or percent-encoded" } as const

const ValueBody = Schema.Struct({
  value: Json.annotate({ description: "The value: any JSON" }),
  timestamp: Schema.optional(Schema.Union([Schema.String, Schema.Number]).annotate({
    description: "When the value is for: ISO 8601 or milliseconds since 1970 (default: when it is received)"
  }))
})
const BatchBody = Schema.Array(Schema.Struct({
  topic: Schema.String,
  value: Json,
  timestamp: Schema.optional(Schema.Union([Schema.String, Schema.Number]))
})).annotate({ description: `At most ${MAX_BATCH.toLocaleString("en-US")} values, written in order` })
const Written = Schema.Struct({ success: Schema.Literal(true), count: Schema.Number })
const LastValue = Schema.Struct({ topic: Schema.String, value: Json, timestamp: Schema.String })

type Checked = { ok: true; value: TagValue } | { ok: false; message: string }

/** One value as sent, checked: `where` names it in messages (`values[3]`). */
const checkValue = (domain: string, topic: unknown, entry: Record<string, unknown>, where: string, now: number, valid?: Set<unknown>): Checked => {
  // A batch names few topics many times: each is checked once.
  if (valid === undefined || !valid.has(topic)) {
    const topicCheck = validateTopicName(topic)
    if (!topicCheck.ok) return { ok: false, message: `${where}topic: ${topicCheck.message}` }
    valid?.add(topic)
  }
  if (!("value" in entry)) return { ok: false, message: `${where}value is missing: send { "value": <any JSON> }` }
  let timestamp = now
  if (entry["timestamp"] !== undefined && entry["timestamp"] !== null) {
    const parsed = parseInstant(entry["timestamp"])
    if (parsed === undefined) return { ok: false, message: `${where}timestamp must be ${INSTANT_FORMAT}` }
    timestamp = parsed
  }
  return { ok: true, value: { domain, topic: topic as string, value: entry["value"], timestamp } }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Tag values over HTTP (SPEC §7): `POST /machhub/tag/<topic>`, `POST /machhub/tag/batch` and
 * `GET /machhub/tag/value/<topic>`. Writes go through the value pipeline like MQTT's and NATS's
 * (last value, historian, fan-out), are on disk before the answer, and are read back at once.
 */
export const tagValueRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const values = context.tagValues

  /** The tag rules (access R, autocreate), then the pipeline. */
  const write = (principal: Principal, checked: ReadonlyArray<TagValue>): HttpResponse | Promise<HttpResponse> => {
    const accept = (): HttpResponse => {
      values.publish(checked, "http")
      // Durable before the answer: a value acknowledged survives a crash right after.
      values.flush()
      return json(200, { success: true, count: checked.length })
    }
    const topics = [...new Set(checked.map((v) => v.topic))]
    const refusal = context.tagWrites(principal, principal.domain, topics)
    const answer = (r: Awaited<typeof refusal>) => (r === undefined ? accept() : text(r.status, r.message))
    return refusal instanceof Promise ? refusal.then(answer) : answer(refusal)
  }

  const writeAnswers = {
    400: error("A topic that is not a valid MQTT topic name (a wildcard, over 512 bytes...), a missing value or a timestamp that does not parse"),
    403: error("Missing permission tags:read-write:domain, or the tag's access is R (read-only for clients)"),
    404: error("No tag has this topic and the server does not create tags on first value (MACHHUB_TAGS_AUTOCREATE=false)")
  } as const

  return [
    route({
      method: "POST",
      path: "/machhub/tag/batch",
      tag: "tags",
      summary: `Writes up to ${MAX_BATCH.toLocaleString("en-US")} tag values at once: [{ topic, value, timestamp? }]`,
      description: "All or nothing: one value that does not pass its checks refuses the whole batch, naming it by its index.",
      access: requires("tags", "read-write", "domain"),
      body: bodyReadByHandler(BatchBody),
      responses: { 200: ok("The values are recorded", Written), ...writeAnswers },
      handler: ({ request, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        if (!Array.isArray(body.value)) return text(400, "The body must be a JSON array of { topic, value, timestamp? }")
        if (body.value.length > MAX_BATCH) {
          return text(400, `The batch holds ${body.value.length} values; at most ${MAX_BATCH} are taken at once: split it`)
        }
        const now = Date.now()
        const checked: Array<TagValue> = []
        const valid = new Set<unknown>()
        for (let i = 0; i < body.value.length; i++) {
          const entry: unknown = body.value[i]
          if (!isObject(entry)) return text(400, `values[${i}] must be an object { topic, value, timestamp? }`)
          const one = checkValue(principal.domain, entry["topic"], entry, `values[${i}].`, now, valid)
          if (!one.ok) return text(400, one.message)
          checked.push(one.value)
        }
        return write(principal, checked)
      }
    }),

    route({
      method: "POST",
      path: "/machhub/tag/:topic+",
      tag: "tags",
      summary: "Writes one tag value: { value, timestamp? }",
      description: "The topic is the rest of the path. A topic with no definition gets one (access RW, not historized) unless MACHHUB_TAGS_AUTOCREATE=false.",
      access: requires("tags", "read-write", "domain"),
      params: topicParam,
      body: bodyReadByHandler(ValueBody),
      responses: { 200: ok("The value is recorded", Written), ...writeAnswers },
      handler: ({ request, params, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        if (!isObject(body.value)) return text(400, "The body must be a JSON object { value, timestamp? }")
        const one = checkValue(principal.domain, params.topic, body.value, "", Date.now())
        if (!one.ok) return text(400, one.message)
        return write(principal, [one.value])
      }
    }),

    route({
      method: "GET",
      path: "/machhub/tag/value/:topic+",
      tag: "tags",
      summary: "The last value of a tag: { topic, value, timestamp }",
      access: requires("tags", "read", "domain"),
      params: topicParam,
      responses: {
        200: ok("The tag's last value (the newest by timestamp) and its time", LastValue),
        400: error("The topic is not a valid MQTT topic name"),
        403: error("Missing permission tags:read:domain"),
        404: error("The tag has no value yet")
      },
      handler: ({ params, principal }) => {
        const topicCheck = validateTopicName(params.topic)
        if (!topicCheck.ok) return text(400, `topic: ${topicCheck.message}`)
        const last = values.last(principal.domain, params.topic)
        if (last === undefined) return text(404, `The tag ${params.topic} has no value yet`)
        return json(200, { topic: params.topic, value: last.value, timestamp: new Date(last.timestamp).toISOString() })
      }
    })
  ]
}
