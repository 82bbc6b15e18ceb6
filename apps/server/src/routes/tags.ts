import { Effect, Schema } from "effect"
import { json, text } from "@machhub/adapters"
import { isAllowed, TAG_CATEGORY, type TagDefinition } from "@machhub/core"
import type { TagRow } from "@machhub/projections"
import { body, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import type { ServerContext } from "../ServerContext.js"
import { tagDefinitions } from "../tags/definitions/tagDefinitions.js"
import { validateTopicName } from "../tags/topicName.js"
import { callerTarget, mutationHeaders, respond, runCommand } from "./runCommand.js"

const topicParam = {
  topic: "The tag's topic: the rest of the path, slashes as they are (Plant1/LineA/Temperature) or percent-encoded (%2F; needed for a trailing slash)"
} as const

const Duration = Schema.String.annotate({ description: 'A duration: a whole number and a unit s, m, h, d or w ("30s", "5m", "1h", "7d", "2w"); "" is absent' })

const Historize = Schema.Struct({
  type: Schema.Literals(["event", "timeseries"]).annotate({ description: "event: a point per change; timeseries: the last value of each samplingTime interval" }),
  samplingTime: Schema.optional(Duration.annotate({ description: "timeseries only, required there: 1s to 1w" })),
  retention: Schema.optional(Duration.annotate({ description: "How long points are kept: 1m to 36500d, not shorter than samplingTime; absent: no limit" }))
})

const Definition = Schema.Struct({
  topic: Schema.optional(Schema.String.annotate({ description: "If given, the topic of the path" })),
  description: Schema.optional(Schema.NullOr(Schema.String.annotate({ description: "Free text (Markdown), at most 4096 characters; absent or null: none" }))),
  access: Schema.Literals(["R", "RW"]).annotate({ description: "R: clients may only read the value; RW: they may write it too" }),
  historize: Schema.optional(Schema.NullOr(Historize).annotate({
    description: "How the historian keeps the values; null: not historized; absent: the current settings stay. Changing them needs historian:read-write"
  }))
})

const TagView = Schema.Struct({
  topic: Schema.String,
  description: Schema.optional(Schema.String),
  access: Schema.Literals(["R", "RW"]),
  historize: Schema.optional(Schema.Struct({
    type: Schema.Literals(["event", "timeseries"]),
    samplingTime: Schema.optional(Schema.String),
    retention: Schema.optional(Schema.String)
  })),
  autocreated: Schema.Boolean.annotate({ description: "Defined by a first value rather than by a person" }),
  version: Schema.Number.annotate({ description: "The definition's version, for If-Match" }),
  createdAt: Schema.String,
  updatedAt: Schema.String
}).annotate({ identifier: "Tag", description: "A tag definition of the active domain" })

const view = (tag: TagRow) => ({
  topic: tag.topic,
  ...(tag.description === undefined ? {} : { description: tag.description }),
  access: tag.access,
  ...(tag.historize === undefined ? {} : { historize: tag.historize }),
  autocreated: tag.autocreated,
  version: tag.version,
  createdAt: tag.createdAt,
  updatedAt: tag.updatedAt
})

const HISTORIAN_WRITE = { feature: "historian", action: "read-write", scope: "domain" } as const

/** Whether the caller may change historize settings (SPEC §7: historian:read-write). */
const mayHistorize = (principal: Principal): boolean => isAllowed(principal.permissions, HISTORIAN_WRITE, principal.superuser)

const badTopic = (topic: string) => {
  const check = validateTopicName(topic)
  return check.ok ? undefined : text(400, `topic: ${check.message}`)
}

/**
 * Tag definitions (SPEC §7): managed with `GET /api/tags`, `GET|PUT|DELETE /api/tags/<topic>`
 * (feature `tags`; historize settings also need `historian:read-write`), listed for the data plane
 * by `GET /machhub/tag/list` and `GET /machhub/historian/list`. Always within the active domain: a
 * topic of another domain is never seen.
 */
export const tagRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const tags = tagDefinitions(context)
  const tagAnswers = {
    400: error("The topic is not a valid MQTT topic name (empty, a wildcard + or #, a control character, a leading $, over 512 bytes)"),
    403: error("Missing permission tags:read-write:domain, or historian:read-write:domain to change historize settings")
  } as const

  return [
    route({
      method: "GET",
      path: "/api/tags",
      tag: "tags",
      summary: "The tag definitions of the active domain, by topic",
      access: requires("tags", "read", "domain"),
      responses: { 200: ok("The definitions", Schema.Array(TagView)) },
      handler: ({ principal }) => json(200, tags.list(principal.domain).map(view))
    }),

    route({
      method: "GET",
      path: "/api/tags/:topic+",
      tag: "tags",
      summary: "One tag definition (ETag: its version)",
      access: requires("tags", "read", "domain"),
      params: topicParam,
      responses: { 200: ok("The definition", TagView), 400: tagAnswers[400], 404: error("No tag has this topic in the active domain") },
      handler: ({ params: { topic }, principal }) => {
        const bad = badTopic(topic)
        if (bad !== undefined) return bad
        const tag = tags.get(principal.domain, topic)
        if (tag === undefined) return text(404, `no tag ${topic} in this domain`)
        return json(200, view(tag), { ETag: `"${tag.version}"` })
      }
    }),

    route({
      method: "PUT",
      path: "/api/tags/:topic+",
      tag: "tags",
      summary: "Define or redefine a tag: description, access R/RW, historize settings",
      description:
        "The body is the whole definition, except that an absent `historize` keeps the current settings (so a tag editor " +
        "without historian:read-write can change the rest); `historize: null` stops historizing. Redefining a tag as it is appends nothing.",
      access: requires("tags", "read-write", "domain"),
      params: topicParam,
      headers: ["If-Match", "Idempotency-Key"],
      body: body(Definition, "{ description?, access: R|RW, historize?: { type: event|timeseries, samplingTime?, retention? } | null }"),
      responses: {
        200: ok("Defined; ETag is the definition's version", Schema.Struct({ success: Schema.Literal(true), tag: TagView })),
        ...tagAnswers,
        412: error("If-Match does not match the definition's version"),
        422: error("The description is too long, or the historize settings cannot work (samplingTime missing for timeseries or given for event, a duration out of bounds, retention shorter than samplingTime)")
      },
      handler: ({ request, params: { topic }, principal, body: definition }) => {
        const bad = badTopic(topic)
        if (bad !== undefined) return bad
        if (definition.topic !== undefined && definition.topic !== topic) {
          return text(400, `topic: the body names ${JSON.stringify(definition.topic)}, the path ${JSON.stringify(topic)}; leave it out or make them the same`)
        }
        const caller = callerTarget(request, principal, true)
        if (!caller.ok) return caller.response
        return respond(
          runCommand(context, {
            type: "defineTag",
            category: TAG_CATEGORY,
            aggregateId: topic,
            payload: {
              access: definition.access,
              ...(definition.description === undefined || definition.description === null ? {} : { description: definition.description }),
              ...(definition.historize === undefined ? {} : { historize: definition.historize }),
              mayHistorize: mayHistorize(principal)
            },
            ...caller.target
          }).pipe(Effect.map((reply) => {
            // The read model has applied the command (runCommand waits for it); the reply is the fallback.
            const row = tags.get(principal.domain, topic)
            const tag = row !== undefined && row.version === reply.version ? view(row) : fromReply(reply.result, reply.version, reply.at ?? row?.updatedAt)
            return json(200, { success: true, tag }, mutationHeaders(reply))
          }))
        )
      }
    }),

    route({
      method: "DELETE",
      path: "/api/tags/:topic+",
      tag: "tags",
      summary: "Remove a tag definition (a historized one needs historian:read-write too)",
      description: "Its last value and history are not touched here; a later value to the topic defines it again unless MACHHUB_TAGS_AUTOCREATE=false.",
      access: requires("tags", "read-write", "domain"),
      params: topicParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: {
        200: ok("Removed", Schema.Struct({ success: Schema.Literal(true), topic: Schema.String })),
        ...tagAnswers,
        404: error("No tag has this topic in the active domain"),
        412: error("If-Match does not match the definition's version")
      },
      handler: ({ request, params: { topic }, principal }) => {
        const bad = badTopic(topic)
        if (bad !== undefined) return bad
        const caller = callerTarget(request, principal, true)
        if (!caller.ok) return caller.response
        return respond(
          runCommand(context, {
            type: "removeTag",
            category: TAG_CATEGORY,
            aggregateId: topic,
            payload: { mayHistorize: mayHistorize(principal) },
            ...caller.target
          }).pipe(Effect.map((reply) => json(200, { success: true, topic }, mutationHeaders(reply))))
        )
      }
    }),

    route({
      method: "GET",
      path: "/machhub/tag/list",
      tag: "tags",
      summary: "The topics of the active domain's tags, by topic",
      access: requires("tags", "read", "domain"),
      responses: { 200: ok("Topics", Schema.Array(Schema.String)) },
      handler: ({ principal }) => json(200, tags.list(principal.domain).map((tag) => tag.topic))
    }),

    route({
      method: "GET",
      path: "/machhub/historian/list",
      tag: "historian",
      summary: "The topics of the active domain's historized tags, by topic",
      access: requires("historian", "read", "domain"),
      responses: { 200: ok("Topics", Schema.Array(Schema.String)) },
      handler: ({ principal }) => json(200, tags.historized(principal.domain).map((tag) => tag.topic))
    })
  ]
}

/**
 * The answer built from the command's reply, when the read model has moved on since (a retried
 * request answered as the first time) or has not caught up in time.
 */
const fromReply = (definition: TagDefinition | undefined, version: number, at: string | undefined) => ({
  ...(definition ?? {}),
  autocreated: false,
  version,
  createdAt: at ?? "",
  updatedAt: at ?? ""
})
