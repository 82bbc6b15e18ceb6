import { Effect, Schema } from "effect"
import { json, readJsonBody, text } from "@machhub/adapters"
import { FUNCTION_CATEGORY, RunLimits } from "@machhub/core"
import type { FunctionRow } from "@machhub/projections"
import { bodyReadByHandler, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { actorOf } from "../auth/Principal.js"
import { checkFunction } from "../processes/definitionInput.js"
import { processesOf } from "../processes/edgeProcesses.js"
import type { ServerContext } from "../ServerContext.js"
import { answerRun } from "./processes.js"
import { callerTarget, mutationHeaders, respond, runCommand } from "./runCommand.js"
import { Json } from "./schemas.js"

const Definition = Schema.Struct({
  name: Schema.String.annotate({ description: "1 to 128 letters, digits, _, . or -; unique in the domain" }),
  language: Schema.optional(Schema.Literals(["typescript", "javascript"]).annotate({ description: "Default typescript" })),
  code: Schema.String.annotate({ description: "The body of async function execute(context); context.payload is the call's payload" }),
  limits: Schema.optional(RunLimits),
  description: Schema.optional(Schema.String)
}).annotate({ identifier: "FunctionDefinitionBody", description: "A function definition (SPEC §8)" })

const FunctionView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  domain_id: Schema.String,
  language: Schema.Literals(["typescript", "javascript"]),
  code: Schema.String,
  limits: Schema.optional(RunLimits),
  description: Schema.optional(Schema.String),
  version: Schema.Number.annotate({ description: "The code version" }),
  owner: Schema.String.annotate({ description: "The user whose permissions the code acts with: who last saved it" }),
  created_at: Schema.String,
  updated_at: Schema.String
}).annotate({ identifier: "Function", description: "A function of the active domain" })

const view = (row: FunctionRow) => ({
  id: `${row.domain}.${row.definition.name}`,
  ...row.definition,
  domain_id: row.domain,
  version: row.codeVersion,
  owner: row.owner.username,
  created_at: row.createdAt,
  updated_at: row.updatedAt
})

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** Functions (SPEC §8): named code run once per call, managed at /api/functions, called at /machhub/function/execute. */
export const functionRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const engine = () => processesOf(context)
  const nameParam = { name: "The function name" } as const
  const answers = {
    400: error("A malformed body: a field of the wrong shape or an unknown language"),
    403: error("Missing permission functions:read-write:domain"),
    422: error("The code does not compile: the compiler's line, column and message")
  } as const

  const save = (mode: "create" | "update") => route({
    method: mode === "create" ? "POST" : "PUT",
    path: mode === "create" ? "/api/functions" : "/api/functions/:name",
    tag: "functions",
    summary: mode === "create" ? "Create a function; its code is compiled now" : "Replace a function's definition (a code change is a new version)",
    access: requires("functions", "read-write", "domain"),
    headers: mode === "create" ? ["Idempotency-Key"] : ["If-Match", "Idempotency-Key"],
    body: bodyReadByHandler(Definition),
    responses: {
      [mode === "create" ? 201 : 200]: ok("Saved", Schema.Struct({ success: Schema.Literal(true), function: FunctionView })),
      ...answers,
      ...(mode === "create" ? { 409: error("A function of that name exists already") } : { 404: error("No function has that name"), 412: error("If-Match does not match") })
    },
    handler: ({ request, principal }) => {
      const name = mode === "update" ? request.params["name"] : undefined
      const body = readJsonBody(request)
      if (!body.ok) return body.response
      const checked = checkFunction(body.value, name)
      if (!checked.ok) return text(checked.status, checked.message)
      const caller = callerTarget(request, principal, true)
      if (!caller.ok) return caller.response
      return respond(runCommand(context, {
        type: "saveFunction",
        category: FUNCTION_CATEGORY,
        aggregateId: checked.value.name,
        payload: { mode, definition: checked.value, owner: { userId: principal.userId, username: principal.username } },
        ...caller.target
      }).pipe(Effect.map((reply) => {
        const row = engine().processes.function(principal.domain, checked.value.name)
        return json(mode === "create" ? 201 : 200, { success: true, function: row === undefined ? null : view(row) }, mutationHeaders(reply))
      })))
    }
  })

  return [
    route({
      method: "GET",
      path: "/api/functions",
      tag: "functions",
      summary: "The functions of the active domain, by name",
      access: requires("functions", "read", "domain"),
      responses: { 200: ok("The functions", Schema.Array(FunctionView)) },
      handler: ({ principal }) => json(200, engine().processes.functions(principal.domain).map(view))
    }),

    route({
      method: "GET",
      path: "/api/functions/:name",
      tag: "functions",
      summary: "One function (ETag: its stream version)",
      access: requires("functions", "read", "domain"),
      params: nameParam,
      responses: { 200: ok("The function", FunctionView), 404: error("No function has that name in the active domain") },
      handler: ({ params: { name }, principal }) => {
        const row = engine().processes.function(principal.domain, name)
        if (row === undefined) return text(404, `no function ${name.slice(0, 128)} in this domain`)
        return json(200, view(row), { ETag: `"${row.version}"` })
      }
    }),

    save("create"),
    save("update"),

    route({
      method: "DELETE",
      path: "/api/functions/:name",
      tag: "functions",
      summary: "Remove a function; its runs stay in the log",
      access: requires("functions", "read-write", "domain"),
      params: nameParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: {
        200: ok("Removed", Schema.Struct({ success: Schema.Literal(true), name: Schema.String })),
        403: answers[403],
        404: error("No function has that name in the active domain"),
        412: error("If-Match does not match the function's version")
      },
      handler: ({ request, params: { name }, principal }) => {
        const caller = callerTarget(request, principal, true)
        if (!caller.ok) return caller.response
        return respond(runCommand(context, {
          type: "removeFunction",
          category: FUNCTION_CATEGORY,
          aggregateId: name,
          payload: {},
          ...caller.target
        }).pipe(Effect.map((reply) => json(200, { success: true, name }, mutationHeaders(reply)))))
      }
    }),

    route({
      method: "POST",
      path: "/machhub/function/execute",
      tag: "functions",
      summary: "Call a function: { name (or function_name), payload } → { success: true, result }",
      description: "The code gets context.payload (and context.inputs, the payload when it is an object); the run is recorded with the caller as actor (App-Run-Id names it).",
      access: requires("functions", "read", "domain"),
      body: bodyReadByHandler(Schema.Struct({
        name: Schema.optional(Schema.String),
        function_name: Schema.optional(Schema.String),
        payload: Schema.optional(Json),
        language: Schema.optional(Schema.String.annotate({ description: "Accepted for the SDK's sake; the function's own language decides" }))
      })),
      responses: {
        200: ok("The value the code returned", Schema.Struct({ success: Schema.Literal(true), result: Json })),
        400: error("A malformed body (no name)"),
        403: error("Missing permission functions:read:domain"),
        404: error("No function has that name in the active domain"),
        413: error("The body is over MACHHUB_MAX_BODY_BYTES"),
        422: error("The run failed: the reason (an error thrown, a limit exceeded)")
      },
      handler: ({ request, principal }) => {
        const body = readJsonBody(request)
        if (!body.ok) return body.response
        if (!isObject(body.value)) return text(400, "The body must be { name, payload }")
        const name = body.value["name"] ?? body.value["function_name"]
        if (typeof name !== "string" || name === "") return text(400, "name (or function_name): the function to call")
        const row = engine().processes.function(principal.domain, name)
        if (row === undefined) return text(404, `no function ${name.slice(0, 128)} in this domain`)
        const payload = body.value["payload"]
        return answerRun(engine().runFunction(row, {
          domain: principal.domain,
          trigger: { type: "call" },
          ...(payload === undefined ? {} : { input: payload }),
          actor: actorOf(principal),
          correlationId: request.correlationId
        })).then((response) => {
          if (response.status !== 200) return response
          const run = response.headers?.["App-Run-Id"]
          return json(200, { success: true, result: JSON.parse(String(response.body)) as unknown }, run === undefined ? {} : { "App-Run-Id": run })
        })
      }
    })
  ]
}
