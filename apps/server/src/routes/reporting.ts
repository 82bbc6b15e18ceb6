import { Effect, Schema } from "effect"
import { json, text, type HttpRequest } from "@machhub/adapters"
import { REPORTING_MACHINE_CATEGORY, WEEKDAYS, type ReportingMachineDefinition } from "@machhub/core"
import type { ReportingMachineRow } from "@machhub/projections"
import { body, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import { unfitBoundTag } from "../reporting/boundTags.js"
import { reportingMachines } from "../reporting/reportingMachines.js"
import { reportRoutes } from "../reporting/reportRoutes.js"
import { graphqlRoutes } from "../graphql/graphqlRoutes.js"
import type { ServerContext } from "../ServerContext.js"
import { tagDefinitions } from "../tags/definitions/tagDefinitions.js"
import { callerTarget, mutationHeaders, respond, runCommand } from "./runCommand.js"

const Tags = Schema.Struct({
  execution: Schema.String.annotate({ description: "Topic of MTConnect Execution values (ACTIVE = in cycle); historized as event" }),
  partCount: Schema.String.annotate({ description: "Topic of the part counter (a drop is a reset); historized as event" }),
  rejectCount: Schema.optional(Schema.String.annotate({ description: "Topic of the reject counter; historized as event" })),
  alarm: Schema.optional(Schema.String.annotate({ description: "Topic of the current alarm (empty or null: none); historized as event" }))
})

const Shift = Schema.Struct({
  name: Schema.String,
  start: Schema.String.annotate({ description: "Local HH:MM in the domain's time zone (MACHHUB_TIMEZONE)" }),
  end: Schema.String.annotate({ description: "Local HH:MM; at or before start: ends the next day" }),
  days: Schema.optional(Schema.Array(Schema.Literals(WEEKDAYS)).annotate({ description: "Days the shift starts on (sun..sat); absent: every day" }))
})

const Definition = Schema.Struct({
  name: Schema.optional(Schema.String.annotate({ description: "The machine's name (required on POST; on PUT, if given, the name of the path)" })),
  machineRef: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String.annotate({ description: "Machine group, for groupBy/filter machineGroup" })),
  tags: Tags,
  idealCycleSeconds: Schema.optional(Schema.Number.annotate({ description: "Ideal time of one part in seconds (performance, idealPartsPerHour)" })),
  shifts: Schema.optional(Schema.Array(Shift))
})

const MachineView = Schema.Struct({
  name: Schema.String,
  machineRef: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String),
  tags: Tags,
  idealCycleSeconds: Schema.optional(Schema.Number),
  shifts: Schema.Array(Shift),
  version: Schema.Number.annotate({ description: "The definition's version, for If-Match" }),
  createdAt: Schema.String,
  updatedAt: Schema.String
}).annotate({ identifier: "ReportingMachine", description: "A machine of the active domain registered for production reporting" })

const Annotation = Schema.Struct({
  machine: Schema.String,
  start: Schema.String.annotate({ description: "ISO 8601 time with a zone" }),
  end: Schema.String.annotate({ description: "ISO 8601 time with a zone, after start" }),
  reason: Schema.String.annotate({ description: "Why the machine was down (1 to 200 characters)" })
})

const nameParam = { name: "The reporting machine's name" } as const

const definitionView = (definition: ReportingMachineDefinition) => ({
  name: definition.name,
  ...(definition.machineRef === undefined ? {} : { machineRef: definition.machineRef }),
  ...(definition.group === undefined ? {} : { group: definition.group }),
  tags: definition.tags,
  ...(definition.idealCycleSeconds === undefined ? {} : { idealCycleSeconds: definition.idealCycleSeconds }),
  shifts: definition.shifts
})

const view = (row: ReportingMachineRow) => ({ ...definitionView(row), version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt })

/**
 * Reporting machines and downtime annotations (SPEC §9): `POST|GET /api/reporting/machines`,
 * `GET|PUT|DELETE /api/reporting/machines/<name>` (feature `machines`), `POST /api/reporting/downtime`
 * (feature `reports`), and the reports themselves. Domain-wide, always within the active domain.
 */
export const reportingRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const machines = reportingMachines(context)
  const tags = tagDefinitions(context)

  const define = (
    request: HttpRequest,
    principal: Principal,
    name: string,
    definition: typeof Definition.Type,
    mode: "create" | "replace"
  ) => {
    const unfit = unfitBoundTag(tags, principal.domain, definition.tags)
    if (unfit !== undefined) return text(422, unfit)
    const caller = callerTarget(request, principal, true)
    if (!caller.ok) return caller.response
    return respond(
      runCommand(context, {
        type: "defineReportingMachine",
        category: REPORTING_MACHINE_CATEGORY,
        aggregateId: name,
        payload: {
          mode,
          tags: definition.tags,
          ...(definition.machineRef === undefined ? {} : { machineRef: definition.machineRef }),
          ...(definition.group === undefined ? {} : { group: definition.group }),
          ...(definition.idealCycleSeconds === undefined ? {} : { idealCycleSeconds: definition.idealCycleSeconds }),
          ...(definition.shifts === undefined ? {} : { shifts: definition.shifts })
        },
        ...caller.target
      }).pipe(Effect.map((reply) => {
        const row = machines.get(principal.domain, name)
        const machine = row !== undefined && row.version === reply.version
          ? view(row)
          : { ...(reply.result === undefined ? {} : definitionView(reply.result)), version: reply.version, createdAt: reply.at ?? "", updatedAt: reply.at ?? "" }
        return json(mode === "create" ? 201 : 200, { success: true, machine }, mutationHeaders(reply))
      }))
    )
  }

  const defineAnswers = {
    403: error("Missing permission machines:read-write:domain"),
    412: error("If-Match does not match the definition's version"),
    422: error("A bound tag is not defined or not historized as event; a name, shift (HH:MM), ideal cycle time or text is out of bounds")
  } as const

  return [
    route({
      method: "POST",
      path: "/api/reporting/machines",
      tag: "reporting",
      summary: "Registers a machine for production reporting: its tag bindings, ideal cycle time and shifts",
      description: "Every bound tag must be defined and historized as `event` (refused 422 otherwise): reports rebuild the signals from their changes.",
      access: requires("machines", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(Definition, "{ name, machineRef?, group?, tags: { execution, partCount, rejectCount?, alarm? }, idealCycleSeconds?, shifts?: [{ name, start, end, days? }] }"),
      responses: {
        201: ok("Registered; ETag is the definition's version", Schema.Struct({ success: Schema.Literal(true), machine: MachineView })),
        400: error("name is missing"),
        ...defineAnswers,
        409: error("A reporting machine of this name exists already (PUT replaces it)")
      },
      handler: ({ request, principal, body: definition }) => {
        if (definition.name === undefined || definition.name === "") return text(400, "name: required, the machine's name")
        return define(request, principal, definition.name, definition, "create")
      }
    }),

    route({
      method: "GET",
      path: "/api/reporting/machines",
      tag: "reporting",
      summary: "The reporting machines of the active domain, by name",
      access: requires("machines", "read", "domain"),
      responses: { 200: ok("The machines", Schema.Array(MachineView)) },
      handler: ({ principal }) => json(200, machines.list(principal.domain).map(view))
    }),

    route({
      method: "GET",
      path: "/api/reporting/machines/:name",
      tag: "reporting",
      summary: "One reporting machine (ETag: its version)",
      access: requires("machines", "read", "domain"),
      params: nameParam,
      responses: { 200: ok("The machine", MachineView), 404: error("No reporting machine has this name in the active domain") },
      handler: ({ params: { name }, principal }) => {
        const row = machines.get(principal.domain, name)
        if (row === undefined) return text(404, `no reporting machine ${name} in this domain`)
        return json(200, view(row), { ETag: `"${row.version}"` })
      }
    }),

    route({
      method: "PUT",
      path: "/api/reporting/machines/:name",
      tag: "reporting",
      summary: "Replaces a reporting machine's whole definition",
      description: "Replacing a definition by the same one appends nothing.",
      access: requires("machines", "read-write", "domain"),
      params: nameParam,
      headers: ["If-Match", "Idempotency-Key"],
      body: body(Definition, "The whole definition, as for POST"),
      responses: {
        200: ok("Replaced; ETag is the definition's version", Schema.Struct({ success: Schema.Literal(true), machine: MachineView })),
        400: error("The body names another machine than the path"),
        ...defineAnswers,
        404: error("No reporting machine has this name in the active domain")
      },
      handler: ({ request, params: { name }, principal, body: definition }) => {
        if (definition.name !== undefined && definition.name !== name) {
          return text(400, `name: the body names ${JSON.stringify(definition.name)}, the path ${JSON.stringify(name)}; leave it out or make them the same`)
        }
        return define(request, principal, name, definition, "replace")
      }
    }),

    route({
      method: "DELETE",
      path: "/api/reporting/machines/:name",
      tag: "reporting",
      summary: "Stops reporting on a machine (its tags and their history stay)",
      access: requires("machines", "read-write", "domain"),
      params: nameParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: {
        200: ok("Removed", Schema.Struct({ success: Schema.Literal(true), name: Schema.String })),
        403: error("Missing permission machines:read-write:domain"),
        404: error("No reporting machine has this name in the active domain"),
        412: error("If-Match does not match the definition's version")
      },
      handler: ({ request, params: { name }, principal }) => {
        const caller = callerTarget(request, principal, true)
        if (!caller.ok) return caller.response
        return respond(
          runCommand(context, {
            type: "removeReportingMachine",
            category: REPORTING_MACHINE_CATEGORY,
            aggregateId: name,
            payload: {},
            ...caller.target
          }).pipe(Effect.map((reply) => json(200, { success: true, name }, mutationHeaders(reply))))
        )
      }
    }),

    route({
      method: "POST",
      path: "/api/reporting/downtime",
      tag: "reporting",
      summary: "Says why a machine was down over a period (downtime reports group by the reason)",
      description: "Where annotations overlap, the later one gives the reason. Downtime nobody annotated is reported as `Uncategorized`.",
      access: requires("reports", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(Annotation, "{ machine, start, end, reason }"),
      responses: {
        201: ok("Recorded", Schema.Struct({ success: Schema.Literal(true), annotation: Annotation })),
        403: error("Missing permission reports:read-write:domain"),
        404: error("No reporting machine has this name in the active domain"),
        422: error("A time is not ISO 8601 with a zone, end is not after start, or the reason is empty or over 200 characters")
      },
      handler: ({ request, principal, body: annotation }) => {
        const caller = callerTarget(request, principal, false)
        if (!caller.ok) return caller.response
        return respond(
          runCommand(context, {
            type: "annotateDowntime",
            category: REPORTING_MACHINE_CATEGORY,
            aggregateId: annotation.machine,
            payload: { start: annotation.start, end: annotation.end, reason: annotation.reason },
            ...caller.target
          }).pipe(Effect.map((reply) => json(201, {
            success: true,
            annotation: { machine: annotation.machine, start: new Date(annotation.start).toISOString(), end: new Date(annotation.end).toISOString(), reason: annotation.reason }
          }, mutationHeaders(reply))))
        )
      }
    }),

    ...reportRoutes(context),
    ...graphqlRoutes(context)
  ]
}
