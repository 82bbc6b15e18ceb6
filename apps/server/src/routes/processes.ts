import { Effect, Schema } from "effect"
import { json, readJsonBody, text, type HttpResponse } from "@machhub/adapters"
import { PROCESS_CATEGORY, ProcessInput, ProcessOutput, ProcessTrigger, RunLimits, type ProcessDefinition } from "@machhub/core"
import type { ProcessRow } from "@machhub/projections"
import { bodyReadByHandler, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { actorOf, type Principal } from "../auth/Principal.js"
import { log } from "../log.js"
import { checkName, checkProcess, checkTriggers, exported, type Checked } from "../processes/definitionInput.js"
import { processesOf } from "../processes/edgeProcesses.js"
import type { RunOutcome } from "../processes/engine.js"
import type { ServerContext } from "../ServerContext.js"
import { callerTarget, type CallerTarget, mutationHeaders, respond, runCommand } from "./runCommand.js"
import { Json } from "./schemas.js"

const Definition = Schema.Struct({
  name: Schema.String.annotate({ description: "1 to 128 letters, digits, _, . or -; unique in the domain" }),
  enabled: Schema.optional(Schema.Boolean.annotate({ description: "Whether triggers (http, interval, cron, tag_change) run it; default true. Manual execution always works" })),
  log_enabled: Schema.optional(Schema.Boolean.annotate({ description: "Whether the lines the code logs are kept with its runs; default true" })),
  language: Schema.optional(Schema.Literals(["typescript", "javascript"]).annotate({ description: "Default typescript (transpiled before it runs)" })),
  code: Schema.String.annotate({ description: "The body of async function execute(context); it must compile (422 with line and message otherwise)" }),
  triggers: Schema.optional(Schema.Array(ProcessTrigger)),
  inputs: Schema.optional(Schema.Array(ProcessInput)),
  outputs: Schema.optional(Schema.Array(ProcessOutput)),
  limits: Schema.optional(RunLimits),
  description: Schema.optional(Schema.String)
}).annotate({ identifier: "ProcessDefinitionBody", description: "A process definition (SPEC §8, MACHHUB's model)" })

const ProcessView = Schema.Struct({
  id: Schema.String.annotate({ description: "<domain>.<name>" }),
  name: Schema.String,
  domain_id: Schema.String,
  enabled: Schema.Boolean,
  log_enabled: Schema.Boolean,
  language: Schema.Literals(["typescript", "javascript"]),
  code: Schema.String,
  triggers: Schema.Array(ProcessTrigger),
  inputs: Schema.Array(ProcessInput),
  outputs: Schema.Array(ProcessOutput),
  limits: Schema.optional(RunLimits),
  description: Schema.optional(Schema.String),
  version: Schema.Number.annotate({ description: "The code version: one more at each change of the code or language" }),
  owner: Schema.String.annotate({ description: "The user whose permissions the code acts with: who last saved it" }),
  created_at: Schema.String,
  updated_at: Schema.String
}).annotate({ identifier: "Process", description: "A process of the active domain" })

export const processView = (row: ProcessRow) => ({
  id: `${row.domain}.${row.definition.name}`,
  ...row.definition,
  domain_id: row.domain,
  version: row.codeVersion,
  owner: row.owner.username,
  created_at: row.createdAt,
  updated_at: row.updatedAt
})

const nameParam = { name: "The process name" } as const
const ownerOf = (principal: Principal) => ({ userId: principal.userId, username: principal.username })
const refuse = (checked: Extract<Checked<unknown>, { ok: false }>) => text(checked.status, checked.message)

/** The answer of an execution: the result as JSON, or 422 naming why the run failed; the run id in App-Run-Id. */
export const answerRun = (running: Promise<RunOutcome>): Promise<HttpResponse> =>
  running.then(
    (outcome) =>
      outcome.ok
        ? json(200, outcome.result, { "App-Run-Id": outcome.runId })
        : text(422, `The run failed: ${outcome.reason} (run ${outcome.runId})`, { "App-Run-Id": outcome.runId }),
    (failure: unknown) => {
      log("error", "a run could not be recorded", { error: failure instanceof Error ? failure.message : String(failure) })
      return text(503, "The run could not be recorded in the log; nothing ran. Retry shortly.", { "Retry-After": "1" })
    }
  )

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Processes (SPEC §8): managed at /api/processes (feature `processes`), exported and imported as JSON
 * without runtime fields, listed and run on the data plane (`/machhub/processes/*`), and reachable at
 * `POST /process/<endpoint>` through an http trigger.
 */
export const processRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const engine = () => processesOf(context)
  // Armed at once: the triggers of existing processes run without waiting for a first request.
  engine()

  const save = (principal: Principal, target: CallerTarget, mode: "create" | "update" | "upsert", definition: ProcessDefinition) =>
    runCommand(context, {
      type: "saveProcess",
      category: PROCESS_CATEGORY,
      aggregateId: definition.name,
      payload: { mode, definition, owner: ownerOf(principal) },
      ...target
    })

  /** An http endpoint another process of the domain answers already. */
  const endpointTaken = (domain: string, definition: ProcessDefinition): string | undefined => {
    for (const trigger of definition.triggers) {
      if (trigger.type !== "http") continue
      const other = engine().processes.processes(domain).find((row) =>
        row.definition.name !== definition.name && row.definition.triggers.some((t) => t.type === "http" && t.config.endpoint === trigger.config.endpoint))
      if (other !== undefined) return `endpoint ${trigger.config.endpoint} is the http trigger of process ${other.definition.name} already`
    }
    return undefined
  }

  const definitionAnswers = {
    400: error("A malformed body: a field of the wrong shape, an unknown trigger/input/output type, a cron expression that does not parse (named), a bad time zone or topic"),
    403: error("Missing permission processes:read-write:domain"),
    409: error("A process of that name exists already, or another process has the http endpoint"),
    422: error("The code does not compile: the compiler's line, column and message")
  } as const

  return [
    route({
      method: "GET",
      path: "/api/processes",
      tag: "processes",
      summary: "The processes of the active domain, by name",
      access: requires("processes", "read", "domain"),
      responses: { 200: ok("The processes", Schema.Array(ProcessView)) },
      handler: ({ principal }) => json(200, engine().processes.processes(principal.domain).map(processView))
    }),

    route({
      method: "GET",
      path: "/api/processes/export",
      tag: "processes",
      summary: "The active domain's processes as JSON to import elsewhere, without runtime fields",
      description: "Runtime-managed fields (enabled, log_enabled, version, id, domain_id, owner, times) are left out. `?name=` exports one.",
      access: requires("processes", "read", "domain"),
      query: Schema.Struct({ name: Schema.optional(Schema.String.annotate({ description: "Only this process" })) }),
      responses: { 200: ok("The definitions", Schema.Array(Json)), 404: error("No process has that name") },
      handler: ({ request, principal }) => {
        const name = new URLSearchParams(request.query).get("name")
        const rows = engine().processes.processes(principal.domain).filter((row) => name === null || row.definition.name === name)
        if (name !== null && rows.length === 0) return text(404, `no process ${name.slice(0, 128)} in this domain`)
        return json(200, rows.map((row) => exported(row.definition)), { "Content-Disposition": 'attachment; filename="processes.json"' })
      }
    }),

    route({
      method: "POST",
      path: "/api/processes/import",
      tag: "processes",
      summary: "Imports processes (an exported array, or one definition): each created or replaced",
      description: "All are checked before any is saved (a bad one refuses the whole import, named by its index). An imported process keeps its current enabled/log_enabled; a new one is enabled.",
      access: requires("processes", "read-write", "domain"),
      body: bodyReadByHandler(Schema.Array(Definition)),
      responses: { 200: ok("Imported", Schema.Struct({ success: Schema.Literal(true), imported: Schema.Array(Schema.String) })), ...definitionAnswers },
      handler: ({ request, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        const list = Array.isArray(body.value) ? body.value : isObject(body.value) && Array.isArray(body.value["processes"]) ? body.value["processes"] : [body.value]
        if (list.length > 500) return text(400, "At most 500 processes per import")
        const definitions: Array<ProcessDefinition> = []
        for (let i = 0; i < list.length; i++) {
          const entry: unknown = list[i]
          const current = isObject(entry) && typeof entry["name"] === "string" ? engine().processes.process(principal.domain, entry["name"])?.definition : undefined
          const checked = checkProcess(entry, undefined, current)
          if (!checked.ok) return text(checked.status, `processes[${i}]: ${checked.message}`)
          const taken = endpointTaken(principal.domain, checked.value)
          if (taken !== undefined) return text(409, `processes[${i}]: ${taken}`)
          definitions.push(checked.value)
        }
        return respond(Effect.gen(function*() {
          for (const definition of definitions) yield* save(principal, { domain: principal.domain, actor: actorOf(principal), correlationId: request.correlationId }, "upsert", definition)
          return json(200, { success: true, imported: definitions.map((d) => d.name) })
        }))
      }
    }),

    route({
      method: "GET",
      path: "/api/processes/:name",
      tag: "processes",
      summary: "One process (ETag: its stream version)",
      access: requires("processes", "read", "domain"),
      params: nameParam,
      responses: { 200: ok("The process", ProcessView), 404: error("No process has that name in the active domain") },
      handler: ({ params: { name }, principal }) => {
        const row = engine().processes.process(principal.domain, name)
        if (row === undefined) return text(404, `no process ${name.slice(0, 128)} in this domain`)
        return json(200, processView(row), { ETag: `"${row.version}"` })
      }
    }),

    route({
      method: "POST",
      path: "/api/processes",
      tag: "processes",
      summary: "Create a process; its code is compiled now (422 with line and message if it does not)",
      description: "The caller becomes its owner: the code's sdk acts with the owner's permissions in the domain (a key's issuer when a key saves it).",
      access: requires("processes", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: bodyReadByHandler(Definition),
      responses: { 201: ok("Created", Schema.Struct({ success: Schema.Literal(true), process: ProcessView })), ...definitionAnswers },
      handler: ({ request, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        const checked = checkProcess(body.value, undefined)
        if (!checked.ok) return refuse(checked)
        const taken = endpointTaken(principal.domain, checked.value)
        if (taken !== undefined) return text(409, taken)
        const caller = callerTarget(request, principal, false)
        if (!caller.ok) return caller.response
        return respond(save(principal, caller.target, "create", checked.value).pipe(Effect.map((reply) => {
          const row = engine().processes.process(principal.domain, checked.value.name)
          return json(201, { success: true, process: row === undefined ? null : processView(row) }, mutationHeaders(reply))
        })))
      }
    }),

    route({
      method: "PUT",
      path: "/api/processes/:name",
      tag: "processes",
      summary: "Replace a process's definition (a code change is a new version)",
      access: requires("processes", "read-write", "domain"),
      params: nameParam,
      headers: ["If-Match", "Idempotency-Key"],
      body: bodyReadByHandler(Definition),
      responses: {
        200: ok("Saved", Schema.Struct({ success: Schema.Literal(true), process: ProcessView })),
        ...definitionAnswers,
        404: error("No process has that name in the active domain"),
        412: error("If-Match does not match the process's version")
      },
      handler: ({ request, params: { name }, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        const current = engine().processes.process(principal.domain, name)
        const checked = checkProcess(body.value, name, current?.definition)
        if (!checked.ok) return refuse(checked)
        const taken = endpointTaken(principal.domain, checked.value)
        if (taken !== undefined) return text(409, taken)
        const caller = callerTarget(request, principal, true)
        if (!caller.ok) return caller.response
        return respond(save(principal, caller.target, "update", checked.value).pipe(Effect.map((reply) => {
          const row = engine().processes.process(principal.domain, name)
          return json(200, { success: true, process: row === undefined ? null : processView(row) }, mutationHeaders(reply))
        })))
      }
    }),

    route({
      method: "DELETE",
      path: "/api/processes/:name",
      tag: "processes",
      summary: "Remove a process: its triggers stop; its runs stay in the log",
      access: requires("processes", "read-write", "domain"),
      params: nameParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: {
        200: ok("Removed", Schema.Struct({ success: Schema.Literal(true), name: Schema.String })),
        403: definitionAnswers[403],
        404: error("No process has that name in the active domain"),
        412: error("If-Match does not match the process's version")
      },
      handler: ({ request, params: { name }, principal }) => {
        const caller = callerTarget(request, principal, true)
        if (!caller.ok) return caller.response
        return respond(runCommand(context, {
          type: "removeProcess",
          category: PROCESS_CATEGORY,
          aggregateId: name,
          payload: {},
          ...caller.target
        }).pipe(Effect.map((reply) => json(200, { success: true, name }, mutationHeaders(reply)))))
      }
    }),

    route({
      method: "GET",
      path: "/machhub/processes/domain",
      tag: "processes",
      summary: "The processes of the active domain (the SDK's getProcesses)",
      access: requires("processes", "read", "domain"),
      responses: { 200: ok("The processes", Schema.Array(ProcessView)) },
      handler: ({ principal }) => json(200, engine().processes.processes(principal.domain).map(processView))
    }),

    route({
      method: "PUT",
      path: "/machhub/processes/triggers/:id",
      tag: "processes",
      summary: "Replace a process's triggers: { triggers } (the SDK's changeTriggers)",
      access: requires("processes", "read-write", "domain"),
      params: { id: "The process: its name, or its id <domain>.<name>" },
      body: bodyReadByHandler(Schema.Struct({ triggers: Schema.Array(ProcessTrigger) })),
      responses: {
        200: ok("Changed", Schema.Struct({ success: Schema.Literal(true), process: ProcessView })),
        400: definitionAnswers[400],
        403: definitionAnswers[403],
        404: error("No process has that name or id in the active domain"),
        409: error("Another process has the http endpoint")
      },
      handler: ({ request, params: { id }, principal }) => {
        const name = id.startsWith(`${principal.domain}.`) && engine().processes.process(principal.domain, id) === undefined ? id.slice(principal.domain.length + 1) : id
        const checkedName = checkName(name, "process")
        if (!checkedName.ok) return text(404, `no process ${id.slice(0, 128)} in this domain`)
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        if (!isObject(body.value)) return text(400, "The body must be a JSON object { triggers: [...] }")
        const triggers = checkTriggers(body.value["triggers"])
        if (!triggers.ok) return refuse(triggers)
        const current = engine().processes.process(principal.domain, name)
        if (current === undefined) return text(404, `no process ${id.slice(0, 128)} in this domain`)
        const taken = endpointTaken(principal.domain, { ...current.definition, triggers: triggers.value })
        if (taken !== undefined) return text(409, taken)
        return respond(runCommand(context, {
          type: "changeProcessTriggers",
          category: PROCESS_CATEGORY,
          domain: principal.domain,
          aggregateId: name,
          payload: { triggers: triggers.value },
          actor: actorOf(principal),
          correlationId: request.correlationId
        }).pipe(Effect.map((reply) => {
          const row = engine().processes.process(principal.domain, name)
          return json(200, { success: true, process: row === undefined ? null : processView(row) }, mutationHeaders(reply))
        })))
      }
    }),

    route({
      method: "POST",
      path: "/machhub/processes/execute",
      tag: "processes",
      summary: "Run a process now: { name, input } → the value its code returns, as JSON",
      description:
        "The run is recorded (trigger manual, the caller as actor) with its outputs as steps; App-Run-Id names it. `input` is merged into " +
        "context.inputs. A disabled process still runs here (enabled only governs triggers).",
      access: requires("processes", "read", "domain"),
      body: bodyReadByHandler(Schema.Struct({ name: Schema.String, input: Schema.optional(Json) })),
      responses: {
        200: ok("The value the code returned (JSON)", Json),
        400: error("A malformed body (name missing)"),
        403: error("Missing permission processes:read:domain"),
        404: error("No process has that name in the active domain"),
        413: error("The body is over MACHHUB_MAX_BODY_BYTES"),
        422: error("The run failed: the reason (an error thrown, a limit exceeded, an output refused)")
      },
      handler: ({ request, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        if (!isObject(body.value) || typeof body.value["name"] !== "string") return text(400, "The body must be { name, input? }")
        const name = body.value["name"]
        const row = engine().processes.process(principal.domain, name)
        if (row === undefined) return text(404, `no process ${name.slice(0, 128)} in this domain`)
        const input = body.value["input"]
        return answerRun(engine().runProcess(row, {
          domain: principal.domain,
          trigger: { type: "manual" },
          ...(input === undefined ? {} : { input }),
          actor: actorOf(principal),
          correlationId: request.correlationId
        }))
      }
    }),

    route({
      method: "POST",
      path: "/process/:endpoint+",
      tag: "processes",
      summary: "Run the process whose http trigger has this endpoint; the JSON body is merged into context.inputs",
      access: requires("processes", "read", "domain"),
      params: { endpoint: "The http trigger's endpoint (the rest of the path)" },
      body: bodyReadByHandler(Json),
      responses: {
        200: ok("The value the code returned (JSON)", Json),
        400: error("The body is not JSON"),
        403: error("Missing permission processes:read:domain"),
        404: error("No process of the active domain has an http trigger with this endpoint"),
        409: error("The process is disabled"),
        413: error("The body is over MACHHUB_MAX_BODY_BYTES"),
        422: error("The run failed: the reason")
      },
      handler: ({ request, params: { endpoint }, principal }) => {
        let input: unknown
        if (request.body.length > 0) {
          const body = readJsonBody(request)
          if (!body.ok) return body.response
          input = body.value
        }
        const wanted = endpoint.replace(/^\/+/, "")
        for (const row of engine().processes.processes(principal.domain)) {
          const trigger = row.definition.triggers.find((t) => t.type === "http" && t.config.endpoint === wanted)
          if (trigger === undefined) continue
          if (!row.definition.enabled) return text(409, `process ${row.definition.name} is disabled; enable it for its http trigger to run it`)
          return answerRun(engine().runProcess(row, {
            domain: principal.domain,
            trigger: { type: "http", config: trigger.config, data: { endpoint: wanted } },
            ...(input === undefined ? {} : { input }),
            actor: actorOf(principal),
            correlationId: request.correlationId
          }))
        }
        return text(404, `no process of this domain has the http endpoint ${wanted.slice(0, 128)}`)
      }
    })
  ]
}
