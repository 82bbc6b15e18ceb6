import { Schema } from "effect"
import { json, text } from "@machhub/adapters"
import { isAllowed, type RunKind } from "@machhub/core"
import type { RunRow, RunStatus } from "@machhub/projections"
import { anyCaller, error, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import { processesOf } from "../processes/edgeProcesses.js"
import type { ServerContext } from "../ServerContext.js"
import { Json } from "./schemas.js"

/** Which feature a run's kind is read under. */
const FEATURE: Record<RunKind, string> = { process: "processes", function: "functions", flow: "flows" }
const KINDS: ReadonlyArray<RunKind> = ["process", "function", "flow"]
const STATUSES: ReadonlyArray<RunStatus> = ["running", "finished", "failed"]

const readableKinds = (principal: Principal): Array<RunKind> =>
  KINDS.filter((kind) => isAllowed(principal.permissions, { feature: FEATURE[kind], action: "read", scope: "domain" }, principal.superuser))

const RunView = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literals(["process", "function", "flow"]),
  name: Schema.String,
  status: Schema.Literals(["running", "finished", "failed"]),
  trigger: Json,
  actor: Schema.Struct({ kind: Schema.String, id: Schema.String }),
  input: Schema.optional(Json),
  result: Schema.optional(Json),
  reason: Schema.optional(Schema.String),
  steps: Schema.Number.annotate({ description: "How many steps completed" }),
  started_at: Schema.String,
  ended_at: Schema.optional(Schema.String)
}).annotate({ identifier: "Run", description: "A run of a process, function or flow" })

const view = (row: RunRow) => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  status: row.status,
  trigger: row.trigger,
  actor: row.actor,
  ...(row.input === undefined ? {} : { input: row.input }),
  ...(row.result === undefined ? {} : { result: row.result }),
  ...(row.reason === undefined ? {} : { reason: row.reason }),
  steps: row.steps,
  started_at: row.startedAt,
  ...(row.endedAt === undefined ? {} : { ended_at: row.endedAt })
})

/** Runs (SPEC §8): every run of a process, function or flow, with its steps and logged lines. */
export const runRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const runs = () => processesOf(context).runs
  return [
    route({
      method: "GET",
      path: "/api/runs",
      tag: "runs",
      summary: "Runs of the active domain, newest first",
      description: "Only runs of what the caller may read: processes:read for processes, functions:read for functions, flows:read for flows.",
      access: anyCaller,
      query: Schema.Struct({
        name: Schema.optional(Schema.String.annotate({ description: "Only runs of this process, function or flow" })),
        kind: Schema.optional(Schema.String.annotate({ description: "process, function or flow" })),
        status: Schema.optional(Schema.String.annotate({ description: "running, finished or failed" })),
        since: Schema.optional(Schema.String.annotate({ description: "An ISO 8601 instant: runs started at or after it" })),
        limit: Schema.optional(Schema.String.annotate({ description: "At most this many (1 to 1000, default 100)" }))
      }),
      responses: {
        200: ok("The runs", Schema.Array(RunView)),
        400: error("A status, kind, since or limit that does not parse"),
        403: error("Missing permission processes:read, functions:read or flows:read (any of them)")
      },
      handler: ({ request, principal }) => {
        const query = new URLSearchParams(request.query)
        const kinds = readableKinds(principal)
        if (kinds.length === 0) return text(403, `Missing permission processes:read:domain (or functions:read, flows:read) in domain ${principal.domain}`)
        const status = query.get("status") ?? undefined
        if (status !== undefined && !STATUSES.includes(status as RunStatus)) return text(400, "status: running, finished or failed")
        const kind = query.get("kind") ?? undefined
        if (kind !== undefined && !KINDS.includes(kind as RunKind)) return text(400, "kind: process, function or flow")
        if (kind !== undefined && !kinds.includes(kind as RunKind)) return text(403, `Missing permission ${FEATURE[kind as RunKind]}:read:domain in domain ${principal.domain}`)
        const sinceText = query.get("since") ?? undefined
        const since = sinceText === undefined ? undefined : Date.parse(sinceText)
        if (since !== undefined && Number.isNaN(since)) return text(400, "since: an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z")
        const limitText = query.get("limit") ?? "100"
        const limit = Number(limitText)
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return text(400, "limit: a whole number from 1 to 1000")
        const name = query.get("name") ?? undefined
        const rows = (kind !== undefined ? [kind as RunKind] : kinds).length === KINDS.length || kind !== undefined
          ? runs().list(principal.domain, {
            limit,
            ...(name === undefined ? {} : { name }),
            ...(kind === undefined ? {} : { kind: kind as RunKind }),
            ...(status === undefined ? {} : { status: status as RunStatus }),
            ...(since === undefined ? {} : { since: new Date(since).toISOString() })
          })
          : kinds.flatMap((k) => runs().list(principal.domain, {
            limit,
            kind: k,
            ...(name === undefined ? {} : { name }),
            ...(status === undefined ? {} : { status: status as RunStatus }),
            ...(since === undefined ? {} : { since: new Date(since).toISOString() })
          })).sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, limit)
        return json(200, rows.map(view))
      }
    }),

    route({
      method: "GET",
      path: "/api/runs/:id",
      tag: "runs",
      summary: "One run with its steps and the lines its code logged",
      access: anyCaller,
      params: { id: "The run id (App-Run-Id of the execution)" },
      responses: {
        200: ok("The run", Schema.Struct({
          ...RunView.fields,
          steps: Schema.Array(Schema.Struct({ index: Schema.Number, step: Schema.String, detail: Schema.optional(Json), at: Schema.String })),
          logs: Schema.Array(Schema.Struct({ level: Schema.String, message: Schema.String, at: Schema.Number }))
        })),
        404: error("No run has this id in the active domain, or the caller may not read its kind")
      },
      handler: ({ params: { id }, principal }) => {
        const row = runs().get(principal.domain, id)
        if (row === undefined || !readableKinds(principal).includes(row.kind)) return text(404, `no run ${id.slice(0, 64)} in this domain`)
        return json(200, { ...view(row), steps: runs().steps(principal.domain, id), logs: row.logs })
      }
    })
  ]
}
