import { Effect, Schema } from "effect"
import { json, text, type Router } from "@machhub/adapters"
import { DOMAIN_CATEGORY, isDomainName } from "@machhub/core"
import { actorOf } from "../auth/Principal.js"
import { protect } from "../auth/protect.js"
import type { ServerContext } from "../ServerContext.js"
import { decodeBody } from "./decodeBody.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"

const readCreateDomain = decodeBody(Schema.Struct({ name: Schema.String.check(Schema.isMaxLength(200)) }))

/** `POST /api/domains` (superusers of the admin domain) and `GET /api/domains` (the caller's own). */
export const domainRoutes = (router: Router, context: ServerContext): void => {
  router.add("POST", "/api/domains", protect(context.authenticator, undefined, (request, principal) => {
    if (!principal.globalSuperuser) return text(403, "Only a superuser of machhub_admin may create domains")
    const body = readCreateDomain(request)
    if (!body.ok) return body.response
    const name = body.value.name.startsWith("domains:") ? body.value.name.slice("domains:".length) : body.value.name
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
  }))

  router.add("GET", "/api/domains", protect(context.authenticator, undefined, (_, principal) => {
    const all = context.domains.list()
    if (principal.globalSuperuser) return json(200, all)
    const user = context.users.findById(principal.userId)
    const mine = new Set(user?.memberships.map((m) => m.domain) ?? [principal.domain])
    return json(200, all.filter((domain) => mine.has(domain.name)))
  }))
}
