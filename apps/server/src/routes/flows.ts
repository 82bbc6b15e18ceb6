import { Effect, Schema } from "effect"
import { json, readJsonBody, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { FLOWS_CATEGORY, FLOWS_DEPLOYMENT_ID, type FlowNode } from "@machhub/core"
import { bodyReadByHandler, content, error, ok, requires, route, type AnyRoute, type CredentialPolicy } from "../api/RouteDeclaration.js"
import { actorOf, type Principal } from "../auth/Principal.js"
import { editorCommsRoute } from "../flows/editorComms.js"
import { forwardToEditor } from "../flows/editorProxy.js"
import { runtimeId } from "../flows/domainIds.js"
import { flowsRevision } from "../flows/flowsRevision.js"
import type { FlowsService } from "../flows/FlowsService.js"
import type { ServerContext } from "../ServerContext.js"
import { idempotencyKeyOf } from "./idempotency.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"
import { Json } from "./schemas.js"

/** The editor is a browser page: it takes the `jwt` cookie besides a Bearer token; API keys too (a script may deploy). */
const EDITOR_CREDENTIALS: CredentialPolicy = { cookie: true, keys: "accepted" }

const FlowsFile = Schema.Union([
  Schema.Array(Json),
  Schema.Struct({ flows: Schema.Array(Json), rev: Schema.optional(Schema.String) })
]).annotate({ description: "A Node-RED flows file: the array of tabs, nodes and config nodes, or { flows, rev } as the editor sends it" })
const FlowsAnswer = Schema.Struct({ flows: Schema.Array(Json), rev: Schema.String })
const Deployed = Schema.Struct({ success: Schema.Literal(true), rev: Schema.String })
const Executed = Schema.Struct({ success: Schema.Literal(true), msg: Json.annotate({ description: "The msg.payload that reached the flow's response node" }) })

/** The flows file of a request body: an array, or `{ flows, rev }` as the Node-RED editor sends it. */
const flowsOf = (value: unknown): { ok: true; flows: ReadonlyArray<FlowNode>; rev: string | undefined } | { ok: false; message: string } => {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)
  let list: unknown = value
  let rev: string | undefined
  if (isObject(value)) {
    list = value["flows"]
    if (value["rev"] !== undefined && typeof value["rev"] !== "string") return { ok: false, message: "rev must be a string (the revision GET /api/flows answered)" }
    rev = value["rev"] as string | undefined
  }
  if (!Array.isArray(list)) return { ok: false, message: "The body must be a Node-RED flows file: a JSON array of nodes, or { flows: [...] }" }
  for (let i = 0; i < list.length; i++) if (!isObject(list[i])) return { ok: false, message: `flows[${i}] must be an object (a tab, node or config node)` }
  return { ok: true, flows: list as ReadonlyArray<FlowNode>, rev }
}

/** Paths of Node-RED's admin API the editor may not reach through /flows: they name nodes by id across domains, or store files. */
const BLOCKED_EDITOR_PATHS = /^\/(flow|flows\/state|context|credentials|library|debug|diagnostics|projects|nodes\/.+\/(enable|disable))(\/|$)/

/**
 * Node-RED flows (SPEC §8): deployed per domain as a command (FlowsDeployed), run by the in-process
 * Node-RED runtime, executed over HTTP through their entry node, edited in Node-RED's editor at
 * /flows behind this server's login.
 */
export const flowRoutes = (context: ServerContext, flows: FlowsService): ReadonlyArray<AnyRoute> => {
  const current = async (domain: string) => (await flows.deployed()).get(domain)
  // The editor's live connection (status, debug): a WebSocket route beside the HTTP ones.
  context.sockets.add(editorCommsRoute(context.authenticator, async () => (await flows.runtime()).socketPath))

  const deploy = (request: HttpRequest, principal: Principal, editor: boolean): HttpResponse | Promise<HttpResponse> => {
    const body = readJsonBody(request)
    if (!body.ok) return body.response
    const file = flowsOf(body.value)
    if (!file.ok) return text(400, file.message)
    const idempotency = idempotencyKeyOf(request)
    if (!idempotency.ok) return idempotency.response
    return (async () => {
      const domain = principal.domain
      // A node type the runtime lacks would keep Node-RED from starting any flow: refused here.
      const missing = (await flows.runtime()).missingTypes(file.flows)
      if (missing.length > 0) {
        const message = `The flows use node types this server does not run: ${missing.join(", ")} (function, exec, file, tcp and udp nodes are not loaded; use a process or function for code)`
        return editor ? json(400, { code: "invalid_request", message }) : text(400, message)
      }
      const now = await current(domain)
      // The editor sends the revision it started from: a deploy over someone else's is refused, as Node-RED does.
      if (file.rev !== undefined && now !== undefined && file.rev !== now.rev) {
        return editor
          ? json(409, { code: "version_mismatch", message: "The flows were changed since you loaded them: reload them" })
          : text(409, `The flows were deployed again since revision ${file.rev} (now ${now.rev}): read them again with GET /api/flows`)
      }
      const rev = flowsRevision(file.flows)
      const actor = actorOf(principal)
      return respond(
        runCommand(context, {
          type: "deployFlows",
          category: FLOWS_CATEGORY,
          domain,
          aggregateId: FLOWS_DEPLOYMENT_ID,
          payload: { flows: file.flows, rev },
          actor,
          correlationId: request.correlationId,
          idempotencyKey: idempotency.key
        }).pipe(
          Effect.flatMap((reply) =>
            Effect.promise(() => flows.deployedNow(domain, { flows: file.flows, rev, actor, version: reply.version })).pipe(
              Effect.map(() => (editor ? json(200, { rev }, mutationHeaders(reply)) : json(200, { success: true, rev }, mutationHeaders(reply))))
            )
          )
        )
      )
    })()
  }

  const read = async (principal: Principal, editor: boolean, request: HttpRequest): Promise<HttpResponse> => {
    const now = await current(principal.domain)
    const answer = { flows: now?.flows ?? [], rev: now?.rev ?? flowsRevision([]) }
    // Node-RED's editor asks for v2 ({ flows, rev }); its v1 is the bare array.
    if (editor && request.headers["node-red-api-version"] !== "v2") return json(200, answer.flows)
    return json(200, answer)
  }

  const editorAnswers = {
    200: content("text/html", "The Node-RED editor's page or one of its assets or admin API answers"),
    403: error("Missing permission flows:read-write:domain"),
    404: error("Not part of the editor served here")
  } as const

  return [
    route({
      method: "GET",
      path: "/api/flows",
      tag: "flows",
      summary: "The active domain's Node-RED flows file and its revision",
      access: requires("flows", "read", "domain"),
      responses: { 200: ok("The flows file as last deployed (empty before any deploy)", FlowsAnswer), 403: error("Missing permission flows:read:domain") },
      handler: ({ principal, request }) => read(principal, false, request)
    }),
    route({
      method: "POST",
      path: "/api/flows",
      tag: "flows",
      summary: "Deploys the active domain's whole Node-RED flows file",
      description:
        "The file replaces the domain's flows (recorded as FlowsDeployed); the runtime runs it before the answer. With `rev`, a file deployed since that revision refuses the deploy (409).",
      access: requires("flows", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: bodyReadByHandler(FlowsFile),
      responses: {
        200: ok("Deployed (or unchanged): the revision the domain now runs", Deployed),
        400: error("Not a flows file (not an array of objects, an id missing or used twice, over 5,000 entries), or a node type this server does not run (function, exec...)"),
        403: error("Missing permission flows:read-write:domain"),
        409: error("The flows were deployed again since `rev`")
      },
      handler: ({ request, principal }) => deploy(request, principal, false)
    }),
    route({
      method: "POST",
      path: "/machhub/flow/execute/name/:name",
      tag: "flows",
      summary: "Runs the flow whose entry node (machhub.flow.in) has this name, the body as msg.payload",
      description: `Answers { success: true, msg } with the msg.payload that reached the flow's response node (machhub.flow.response); 504 when none is reached in time (MACHHUB_FLOW_TIMEOUT_MS). The run is recorded (RunStarted, a step per node, RunFinished or RunFailed).`,
      access: requires("flows", "read", "domain"),
      params: { name: "The name of the flow's entry node" },
      body: bodyReadByHandler(Json.annotate({ description: "Any JSON: the flow's msg.payload (empty: null)" })),
      responses: {
        200: ok("The flow's answer", Executed),
        403: error("Missing permission flows:read:domain"),
        404: error("No entry node of this name in the domain's flows"),
        504: error("The flow did not reach a response node in time")
      },
      handler: ({ request, params, principal }) => {
        let payload: unknown = null
        if (request.body.length > 0) {
          const body = readJsonBody(request)
          if (!body.ok) return body.response
          payload = body.value
        }
        return flows.execute(principal.domain, params.name, payload, actorOf(principal), request.correlationId).then((outcome) => {
          switch (outcome._tag) {
            case "Answered":
              return json(200, { success: true, msg: outcome.payload === undefined ? null : outcome.payload })
            case "NoEntry":
              return text(404, `No flow named ${params.name} in domain ${principal.domain}: deploy one whose machhub.flow.in node has this name`)
            case "TimedOut":
              return text(504, `The flow ${params.name} did not reach a response node within ${outcome.millis} ms${outcome.failure === undefined ? "" : ` (${outcome.failure})`}`)
          }
        })
      }
    }),

    // The editor (Node-RED's own page and admin API), reached only through this server's login.
    route({
      method: "GET",
      path: "/flows",
      tag: "flows",
      summary: "The Node-RED editor of the active domain's flows",
      description: "Signed-in users with flows:read-write (Bearer token or the jwt cookie). The editor shows and deploys the active domain's flows only.",
      access: requires("flows", "read-write", "domain"),
      credentials: EDITOR_CREDENTIALS,
      responses: editorAnswers,
      handler: async ({ request }) => {
        // The editor's assets are relative to its page: /flows must end with a slash.
        if (!request.path.endsWith("/")) return { status: 301, headers: { Location: "/flows/" }, body: "" }
        return forwardToEditor((await flows.runtime()).socketPath, request, "/")
      }
    }),
    route({
      method: "GET",
      path: "/flows/flows",
      tag: "flows",
      summary: "The editor's read of the active domain's flows (Node-RED admin API)",
      access: requires("flows", "read-write", "domain"),
      credentials: EDITOR_CREDENTIALS,
      responses: { 200: ok("{ flows, rev } (Node-RED-API-Version v2) or the bare array", FlowsAnswer), 403: error("Missing permission flows:read-write:domain") },
      handler: ({ principal, request }) => read(principal, true, request)
    }),
    route({
      method: "POST",
      path: "/flows/flows",
      tag: "flows",
      summary: "The editor's deploy of the active domain's flows (Node-RED admin API)",
      access: requires("flows", "read-write", "domain"),
      credentials: EDITOR_CREDENTIALS,
      body: bodyReadByHandler(FlowsFile),
      responses: {
        200: ok("Deployed: { rev }"),
        400: error("Not a flows file"),
        403: error("Missing permission flows:read-write:domain"),
        409: error("version_mismatch: deployed again since the editor loaded the flows")
      },
      handler: ({ request, principal }) => deploy(request, principal, true)
    }),
    route({
      method: "POST",
      path: "/flows/inject/:id",
      tag: "flows",
      summary: "The editor's inject button: fires an inject node of the active domain's flows",
      access: requires("flows", "read-write", "domain"),
      credentials: EDITOR_CREDENTIALS,
      params: { id: "The inject node's id as the editor knows it" },
      responses: { 200: ok("Fired"), 403: error("Missing permission flows:read-write:domain"), 404: error("No such inject node in the domain's flows") },
      handler: async ({ request, params, principal }) =>
        forwardToEditor((await flows.runtime()).socketPath, request, `/inject/${encodeURIComponent(runtimeId(principal.domain, params.id))}`)
    }),
    route({
      method: "GET",
      path: "/flows/:path+",
      tag: "flows",
      summary: "The Node-RED editor's assets and read-only admin API (settings, node palette, icons, locales)",
      access: requires("flows", "read-write", "domain"),
      credentials: EDITOR_CREDENTIALS,
      params: { path: "The asset or admin API path under /flows" },
      responses: editorAnswers,
      handler: async ({ request, params }) => {
        const path = `/${params.path}`
        if (BLOCKED_EDITOR_PATHS.test(path)) return text(404, `${request.path} is not served here: flows are read and deployed per domain through /flows/flows`)
        return forwardToEditor((await flows.runtime()).socketPath, request, path.split("/").map(encodeURIComponent).join("/"))
      }
    })
  ]
}
