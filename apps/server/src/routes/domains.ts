import { Effect, Schema } from "effect"
import { json, text } from "@machhub/adapters"
import { DOMAIN_CATEGORY, isDomainName } from "@machhub/core"
import { anyCaller, body, error, globalSuperuserTo, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { actorOf } from "../auth/Principal.js"
import type { ServerContext } from "../ServerContext.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"

const CreateDomain = Schema.Struct({ name: Schema.String.check(Schema.isMaxLength(200)) })
const DomainView = Schema.Struct({ name: Schema.String, createdAt: Schema.String }).annotate({ description: "A domain (tenant)" })

/** `POST /api/domains` (superusers of the admin domain) and `GET /api/domains` (the caller's own). */
export const domainRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => [
  route({
    method: "POST",
    path: "/api/domains",
    tag: "identity",
    summary: "Create a domain (tenant)",
    access: globalSuperuserTo("create domains"),
    headers: ["Idempotency-Key"],
    body: body(CreateDomain, "name: a domain name, optionally as domains:<name>"),
    responses: {
      201: ok("Created", Schema.Struct({ success: Schema.Literal(true), name: Schema.String })),
      422: error("The name is not a domain name")
    },
    handler: ({ request, principal, body }) => {
      const name = body.name.startsWith("domains:") ? body.name.slice("domains:".length) : body.name
      if (!isDomainName(name)) return text(422, "name must be 1 to 63 lower-case letters, digits or _ (starting with a letter or digit)")
      return respond(
        runCommand(context, {
          type: "createDomain",
          category: DOMAIN_CATEGORY,
          domain: name,
          aggregateId: name,
          payload: {},
          actor: actorOf(principal),
          correlationId: request.correlationId,
          idempotencyKey: request.headers["idempotency-key"]
        }).pipe(Effect.map((reply) => json(201, { success: true, name }, mutationHeaders(reply))))
      )
    }
  }),
  route({
    method: "GET",
    path: "/api/domains",
    tag: "identity",
    summary: "The domains the caller belongs to (every domain for a global superuser)",
    access: anyCaller,
    responses: { 200: ok("The domains", Schema.Array(DomainView)) },
    handler: ({ principal }) => {
      const all = context.domains.list()
      if (principal.globalSuperuser) return json(200, all)
      const user = context.users.findById(principal.userId)
      const mine = new Set(user?.memberships.map((m) => m.domain) ?? [principal.domain])
      return json(200, all.filter((domain) => mine.has(domain.name)))
    }
  })
]
