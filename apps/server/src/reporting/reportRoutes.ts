import { Schema } from "effect"
import { json, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { bodyReadByHandler, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"
import { zoneOf } from "../tags/values/timeZone.js"
import { computeReport } from "./computeReport.js"
import { reportCsv } from "./csv.js"
import { parseReportRequest, type ReportKind } from "./reportRequest.js"
import { reportingMachines } from "./reportingMachines.js"
import { reportSummaries } from "./reportSummaries.js"

const ReportBody = Schema.Struct({
  startDay: Schema.optional(Schema.String.annotate({ description: "First day (ISO date, local to MACHHUB_TIMEZONE), included" })),
  endDay: Schema.optional(Schema.String.annotate({ description: "Last day, included" })),
  start: Schema.optional(Schema.String.annotate({ description: "Instead of days: ISO 8601 date-time with a zone" })),
  end: Schema.optional(Schema.String.annotate({ description: "ISO 8601 date-time with a zone, after start" })),
  data: Schema.optional(Schema.Array(Schema.Struct({ metric: Schema.String }))),
  groupBy: Schema.optional(Schema.Array(Schema.Struct({ group: Schema.String.annotate({ description: "machine, machineGroup, day, hour, shift (downtime: also reason)" }) }))),
  filter: Schema.optional(Schema.Struct({
    machine: Schema.optional(Schema.Array(Schema.String)),
    machineGroup: Schema.optional(Schema.Array(Schema.String)),
    shift: Schema.optional(Schema.Array(Schema.String))
  })),
  flatten: Schema.optional(Schema.Boolean),
  csv: Schema.optional(Schema.Boolean)
})

const ReportAnswer = Schema.Struct({
  items: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)),
  aggregate: Schema.Record(Schema.String, Schema.Unknown)
}).annotate({ identifier: "Report" })

const PROBLEM_PARSING_JSON = { message: "Problem parsing JSON" } as const

/** The body as JSON, or MachineMetrics' answer to anything else (a wrong content type included). */
const readBody = (request: HttpRequest): { ok: true; value: unknown } | { ok: false; response: HttpResponse } => {
  const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase()
  if (type !== undefined && type !== "application/json" && !type.endsWith("+json")) return { ok: false, response: json(400, PROBLEM_PARSING_JSON) }
  try {
    return { ok: true, value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(request.body)) }
  } catch {
    return { ok: false, response: json(400, PROBLEM_PARSING_JSON) }
  }
}

/** The report routes (SPEC §9): `POST /reports/production` and `POST /reports/downtime`, computed from the historian. */
export const reportRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const machines = reportingMachines(context)
  const summaries = reportSummaries(context)
  // Checked at start (config), so always known here.
  const zone = zoneOf(context.config.timeZone) ?? zoneOf("UTC")!

  const answer = (kind: ReportKind) => ({ request, principal }: { request: HttpRequest; principal: { readonly domain: string } }): HttpResponse => {
    const body = readBody(request)
    if (!body.ok) return body.response
    const parsed = parseReportRequest(kind, body.value, zone)
    if (!parsed.ok) return json(400, { code: "ValidationError", message: "Validation Error", errors: parsed.errors })
    // Every point published before the request is in the store.
    context.tagValues.flush()
    const report = computeReport(parsed.request, {
      store: context.tagValues.store,
      domain: principal.domain,
      zone,
      now: Date.now(),
      machines: machines.list(principal.domain),
      downtime: (machine, from, to) => machines.downtime(principal.domain, machine, from, to),
      summaries
    })
    if (parsed.request.csv) {
      return { status: 200, contentType: "text/csv; charset=utf-8", body: reportCsv(report.columns, report.flat) }
    }
    return json(200, { items: report.items, aggregate: report.aggregate })
  }

  const answers = {
    200: ok("The report: items per group (nested in groupBy order; flat with flatten) and the aggregate of everything; with csv: true, text/csv of the flat rows", ReportAnswer),
    400: error('MachineMetrics\' JSON errors: { "message": "Problem parsing JSON" } for a body that is not JSON, { "code": "ValidationError", "message": "Validation Error", "errors": [{ field, code, message }] } for invalid fields'),
    403: error("Missing permission reports:read:domain")
  } as const

  return [
    route({
      method: "POST",
      path: "/reports/production",
      tag: "reporting",
      summary: "Production metrics of the active domain's reporting machines over a period, grouped and filtered (MachineMetrics)",
      description: "Metrics: totalParts, goodParts, rejectedParts, timeInCycle, allTime, plannedTime, downtime, utilizationRate, availability, performance, quality, oee, averagePartsPerHour, idealPartsPerHour, minStartTime, maxEndTime (README: definitions and formulas). `csv: true` answers text/csv of the flat rows.",
      access: requires("reports", "read", "domain"),
      body: bodyReadByHandler(ReportBody, "{ startDay, endDay } | { start, end }, data: [{ metric }], groupBy?, filter?, flatten?, csv?"),
      responses: answers,
      handler: answer("production")
    }),
    route({
      method: "POST",
      path: "/reports/downtime",
      tag: "reporting",
      summary: "Downtime of the active domain's reporting machines, grouped also by reason (annotations; Uncategorized otherwise)",
      description: "Same body as /reports/production; the metric is downtimeMs (the default when data is absent).",
      access: requires("reports", "read", "domain"),
      body: bodyReadByHandler(ReportBody, "As /reports/production; groupBy may include reason"),
      responses: answers,
      handler: answer("downtime")
    })
  ]
}
