import { Effect, Schema } from "effect"
import { json, text, type HttpRequest, type Router } from "@machhub/adapters"
import { GROUP_CATEGORY, isAction, isFeatureName, isScope, isSubsetOf, type Permission } from "@machhub/core"
import { actorOf, type Principal } from "../auth/Principal.js"
import { protect } from "../auth/protect.js"
import type { ServerContext } from "../ServerContext.js"
import { decodeBody } from "./decodeBody.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"

const PermissionBody = Schema.Struct({ feature: Schema.String, action: Schema.String, scope: Schema.String })
const readCreate = decodeBody(Schema.Struct({
  name: Schema.String.check(Schema.isMaxLength(200)),
  permissions: Schema.Array(PermissionBody).check(Schema.isMaxLength(200))
}))
const readPermission = decodeBody(PermissionBody)
const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

/** Validates one permission, naming what is wrong (422) — custom features are allowed (SPEC §3). */
const toPermission = (raw: { feature: string; action: string; scope: string }, at: string): Permission | string => {
  if (!isFeatureName(raw.feature)) return `${at}.feature must be lower-case letters, digits, _ or - (e.g. collections)`
  if (!isAction(raw.action)) return `${at}.action must be read or read-write`
  if (!isScope(raw.scope)) return `${at}.scope must be one of nil, self, domain, all`
  return { feature: raw.feature, action: raw.action, scope: raw.scope }
}

/** Groups of the active domain and their permissions (SPEC §5). */
export const groupRoutes = (router: Router, context: ServerContext): void => {
  const auth = context.authenticator
  const write = { feature: "groups", action: "read-write", scope: "domain" } as const

  const groupCommand = (request: HttpRequest, principal: Principal, name: string, type: string, payload: unknown, status: number) =>
    respond(
      runCommand(context, {
        type,
        category: GROUP_CATEGORY,
        domain: principal.domain,
        aggregateId: name,
        payload,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => json(status, { success: true, group: context.groups.find(principal.domain, name) }, mutationHeaders(reply))))
    )

  const exceeds = (principal: Principal, permissions: ReadonlyArray<Permission>) =>
    !isSubsetOf(permissions, principal.permissions, principal.superuser)

  router.add("POST", "/api/groups", protect(auth, write, (request, principal) => {
    const body = readCreate(request)
    if (!body.ok) return body.response
    if (!GROUP_NAME.test(body.value.name)) return text(422, "name must be 1 to 64 lower-case letters, digits, _ or -")
    const permissions: Array<Permission> = []
    for (const [i, raw] of body.value.permissions.entries()) {
      const permission = toPermission(raw, `permissions[${i}]`)
      if (typeof permission === "string") return text(422, permission)
      permissions.push(permission)
    }
    if (exceeds(principal, permissions)) return text(403, "You cannot grant permissions you do not hold yourself")
    return groupCommand(request, principal, body.value.name, "createGroup", { permissions }, 201)
  }))

  router.add("GET", "/api/groups", protect(auth, { feature: "groups", action: "read", scope: "domain" }, (_, principal) =>
    json(200, context.groups.list(principal.domain).map((g) => ({ name: g.name, permissions: g.permissions, version: g.version })))))

  for (const [method, type] of [["POST", "grantPermission"], ["DELETE", "revokePermission"]] as const) {
    router.add(method, "/api/groups/:name/permissions", protect(auth, write, (request, principal) => {
      const name = request.params["name"]!
      const body = readPermission(request)
      if (!body.ok) return body.response
      const permission = toPermission(body.value, "body")
      if (typeof permission === "string") return text(422, permission)
      if (exceeds(principal, [permission])) return text(403, "You cannot grant or revoke permissions you do not hold yourself")
      if (name !== "superuser" && context.groups.find(principal.domain, name) === undefined) {
        return text(404, `No group ${name.slice(0, 64)} in domain ${principal.domain}`)
      }
      return groupCommand(request, principal, name, type, { permission }, 200)
    }))
  }
}
