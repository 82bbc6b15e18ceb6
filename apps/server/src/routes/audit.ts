import { Effect, Schema } from "effect"
import { eventJson, streamed, text, type HttpResponse } from "@machhub/adapters"
import { isDomainName, parseStreamName, streamName, TERMINAL_SESSION_CATEGORY, type EventStoreUnavailable, type RecordedEvent } from "@machhub/core"
import { makeAuditIndex } from "@machhub/projections"
import { makeAuditReader, type AuditPage, type EventFilter } from "../audit/AuditReader.js"
import { parseAuditQuery, DEFAULT_PAGE, MAX_PAGE, type AuditQuery } from "../audit/auditQuery.js"
import { auditReach, domainFor } from "../audit/auditReach.js"
import { ndjsonChunks } from "../audit/ndjson.js"
import { PageCache } from "../audit/PageCache.js"
import { replayChunks, type ReplayFormat } from "../audit/sshReplay.js"
import type { Principal } from "../auth/Principal.js"
import { content, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"
import { runPromise } from "../runtime.js"

const AUDIT_READ = requires("audit", "read", "domain")
const q = (description: string) => Schema.optional(Schema.String.annotate({ description }))
const EventFilters = {
  from: q("The log position to start at (a page's next)"),
  domain: q("Another domain's events (for callers that reach every domain)"),
  stream: q("Only this stream"),
  type: q("Only this event type"),
  actor: q("Only events by this actor, kind:id"),
  since: q("Only events at or after this ISO 8601 instant"),
  until: q("Only events before this ISO 8601 instant")
}
const EventsPage = Schema.Struct({ events: Schema.Array(Schema.Unknown), next: Schema.NullOr(Schema.Number) })
const JSON_TYPE = "application/json; charset=utf-8"
const NDJSON_TYPE = "application/x-ndjson; charset=utf-8"
/** Events per store read while exporting or replaying: bounds memory even for 256 KiB terminal chunks. */
const EXPORT_BATCH = 128
const SESSION = /^[A-Za-z0-9_-]{1,64}$/

const unavailable = (error: EventStoreUnavailable) =>
  text(503, `The event log cannot be read right now (${error.message}); retry shortly`, { "Retry-After": "1" })

const pageBody = (page: AuditPage, prefix = ""): string =>
  `{${prefix}"events":[${page.events.map(eventJson).join(",")}],"next":${page.next === null ? "null" : page.next}}`

/**
 * The event log as a product for auditors (SPEC §10). Permission `audit:read` at scope `domain` reads
 * the active domain's events; see auditReach for who reads every domain. Pages answer
 * `{ events, next }` where `next` is the `from` of the following page (a log position; a version on
 * the stream route), or null once the page reached the end of the log as it stood.
 */
export const auditRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const reader = makeAuditReader({ store: context.store, projections: context.projections, index: makeAuditIndex(context.readModels) })

  /** The query's filter as this caller may run it, or the refusal. */
  const filterFor = (principal: Principal, query: AuditQuery): { ok: true; filter: EventFilter } | { ok: false; response: HttpResponse } => {
    const domain = domainFor(auditReach(principal), query.domain)
    if (!domain.ok) return { ok: false, response: text(403, domain.message) }
    const { from, stream, type, actor, since, until } = query
    return { ok: true, filter: { from, domain: domain.domain, stream, type, actor, since, until } }
  }

  const cache = new PageCache(32 * 1024 * 1024)
  /** A page's answer, from the cache when this very page was answered complete before (see PageCache). */
  const runPage = (key: string, program: Effect.Effect<AuditPage, EventStoreUnavailable>, render: (page: AuditPage) => HttpResponse): HttpResponse | Promise<HttpResponse> => {
    const known = cache.get(key)
    if (known !== undefined) return { status: 200, contentType: JSON_TYPE, body: known }
    return runPromise(program.pipe(
      Effect.map((page) => {
        const response = render(page)
        if (page.next !== null && response.status === 200 && typeof response.body === "string") cache.set(key, response.body)
        return response
      }),
      Effect.catch((error) => Effect.succeed(unavailable(error)))
    ))
  }
  /** Who sees what: the same query from callers of different reach must never share an answer. */
  const reachKey = (principal: Principal) => {
    const reach = auditReach(principal)
    return reach.kind === "all" ? "*" : reach.domain
  }

  return [
    route({
      method: "GET",
      path: "/api/audit/events",
      tag: "audit",
      summary: "A page of the event log, filtered",
      access: AUDIT_READ,
      query: Schema.Struct({ ...EventFilters, limit: q("At most this many events") }),
      responses: {
        200: ok("The page; next is the from of the following page, null at the end of the log", EventsPage),
        400: error("A malformed or unknown parameter"),
        403: error("Another domain's events without the reach"),
        503: error("The event log cannot be read right now")
      },
      handler: ({ request, principal }) => {
        const query = parseAuditQuery(request.query, { defaultLimit: DEFAULT_PAGE, maxLimit: MAX_PAGE })
        if (!query.ok) return text(400, query.message)
        const scoped = filterFor(principal, query.value)
        if (!scoped.ok) return scoped.response
        const key = `events\u0000${reachKey(principal)}\u0000${JSON.stringify(scoped.filter)}\u0000${query.value.limit}`
        return runPage(key, reader.page(scoped.filter, query.value.limit), (page) => ({ status: 200, contentType: JSON_TYPE, body: pageBody(page) }))
      }
    }),

    route({
      method: "GET",
      path: "/api/audit/events/export",
      tag: "audit",
      summary: "The filtered event log as NDJSON, streamed",
      access: AUDIT_READ,
      query: Schema.Struct({ ...EventFilters, limit: q("At most this many events") }),
      responses: {
        200: content("application/x-ndjson", "One event per line"),
        400: error("A malformed or unknown parameter"),
        403: error("Another domain's events without the reach")
      },
      handler: ({ request, principal }) => {
        const query = parseAuditQuery(request.query)
        if (!query.ok) return text(400, query.message)
        const scoped = filterFor(principal, query.value)
        if (!scoped.ok) return scoped.response
        return streamed(200, NDJSON_TYPE, ndjsonChunks(reader.batches(scoped.filter, EXPORT_BATCH, query.value.limit)), {
          "Content-Disposition": 'attachment; filename="events.ndjson"'
        })
      }
    }),

    // One aggregate's history, in version order: here `from` and `next` are versions of the stream.
    route({
      method: "GET",
      path: "/api/audit/streams/:stream",
      tag: "audit",
      summary: "One aggregate's history in version order",
      access: AUDIT_READ,
      params: { stream: "The stream name, <category>-<domain>-<id>" },
      query: Schema.Struct({ from: q("The version to start at"), limit: q("At most this many events") }),
      responses: {
        200: ok("The page of the stream; next is the following version, or null", Schema.Struct({ stream: Schema.String, events: Schema.Array(Schema.Unknown), next: Schema.NullOr(Schema.Number) })),
        400: error("A malformed or unknown parameter"),
        404: error("No such stream in the caller's reach"),
        503: error("The event log cannot be read right now")
      },
      handler: ({ request, params: { stream }, principal }) => {
        const query = parseAuditQuery(request.query, { allowed: ["from", "limit"], defaultLimit: MAX_PAGE, maxLimit: MAX_PAGE })
        if (!query.ok) return text(400, query.message)
        const reach = auditReach(principal)
        const notFound = text(404, `No stream ${stream.slice(0, 200)}`)
        // Another domain's stream is answered exactly like a stream that does not exist.
        if (reach.kind === "domain" && parseStreamName(stream)?.domain !== reach.domain) return notFound
        const domain = reach.kind === "domain" ? reach.domain : undefined
        const key = `stream\u0000${reachKey(principal)}\u0000${stream}\u0000${query.value.from}\u0000${query.value.limit}`
        return runPage(key, reader.history(stream, query.value.from, query.value.limit, domain), (page) =>
          page.events.length === 0 && query.value.from <= 1
            ? notFound
            : { status: 200, contentType: JSON_TYPE, body: pageBody(page, `"stream":${JSON.stringify(stream)},`) })
      }
    }),

    route({
      method: "GET",
      path: "/api/audit/ssh/:session",
      tag: "audit",
      summary: "Replay a recorded SSH terminal session",
      access: AUDIT_READ,
      params: { session: "The terminal session id" },
      query: Schema.Struct({
        domain: q("The session's domain (default: the active one)"),
        format: q("json (default) or asciicast"),
        input: q("true to include what was typed (default false)")
      }),
      responses: {
        200: ok("The session: JSON, or asciicast v2 as NDJSON"),
        400: error("A malformed or unknown parameter"),
        403: error("Another domain without the reach"),
        404: error("No such recorded session"),
        503: error("The event log cannot be read right now")
      },
      handler: async ({ request, params: { session }, principal }) => {
        const params = new URLSearchParams(request.query)
        for (const name of params.keys()) {
          if (!["domain", "format", "input"].includes(name)) return text(400, `Unknown parameter ${name.slice(0, 64)}; use domain, format, input`)
        }
        const format = params.get("format") ?? "json"
        if (format !== "json" && format !== "asciicast") return text(400, "format must be json or asciicast")
        const input = params.get("input") ?? "false"
        if (input !== "true" && input !== "false") return text(400, "input must be true or false")
        const requested = params.get("domain") ?? undefined
        if (requested !== undefined && !isDomainName(requested)) return text(400, "domain must be a domain name")
        const reach = auditReach(principal)
        const domain = domainFor(reach, requested ?? principal.domain)
        if (!domain.ok) return text(403, domain.message)
        const notFound = text(404, `No recorded SSH session ${session.slice(0, 100)} in domain ${domain.domain}`)
        if (!SESSION.test(session)) return notFound
        const batches = reader.batches({ from: 1, stream: streamName(TERMINAL_SESSION_CATEGORY, domain.domain!, session), domain: domain.domain }, EXPORT_BATCH)
        // The first batch is read before answering, so a missing session is a 404 rather than an empty 200.
        let first: IteratorResult<ReadonlyArray<RecordedEvent>>
        try {
          first = await batches.next()
        } catch (error) {
          return text(503, `The event log cannot be read right now (${error instanceof Error ? error.message : String(error)}); retry shortly`, { "Retry-After": "1" })
        }
        const opened = first.done === true ? undefined : first.value[0]
        if (opened === undefined || opened.type !== "TerminalOpened") {
          await batches.return(undefined)
          return notFound
        }
        async function* all(): AsyncGenerator<ReadonlyArray<RecordedEvent>> {
          if (first.done !== true) yield first.value
          yield* batches
        }
        return streamed(200, format === "json" ? JSON_TYPE : NDJSON_TYPE, replayChunks(opened as Parameters<typeof replayChunks>[0], all(), {
          session,
          format: format as ReplayFormat,
          input: input === "true"
        }))
      }
    })
  ]
}
