import { Effect, Schema } from "effect"
import { json, text, type HttpRequest } from "@machhub/adapters"
import { commandOf, GROUP_CATEGORY, isAction, isFeatureName, isScope, isSubsetOf, type KnownCommandType, type PayloadOf, type Permission } from "@machhub/core"
import { actorOf, type Principal } from "../auth/Principal.js"
import { body, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"
import { PermissionView } from "./schemas.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"

const PermissionBody = Schema.Struct({ feature: Schema.String, action: Schema.String, scope: Schema.String })
const CreateGroup = Schema.Struct({
  name: Schema.String.check(Schema.isMaxLength(200)),
  permissions: Schema.Array(PermissionBody).check(Schema.isMaxLength(200))
})
const GroupView = Schema.Struct({ name: Schema.String, permissions: Schema.Array(PermissionView), version: Schema.Number })
const GroupChanged = Schema.Struct({ success: Schema.Literal(true), group: Schema.optional(GroupView) })
const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

/** Validates one permission, naming what is wrong (422) — custom features are allowed (SPEC §3). */
const toPermission = (raw: { feature: string; action: string; scope: string }, at: string): Permission | string => {
  if (!isFeatureName(raw.feature)) return `${at}.feature must be lower-case letters, digits, _ or - (e.g. collections)`
  if (!isAction(raw.action)) return `${at}.action must be read or read-write`
  if (!isScope(raw.scope)) return `${at}.scope must be one of nil, self, domain, all`
  return { feature: raw.feature, action: raw.action, scope: raw.scope }
}

/** Groups of the active domain and their permissions (SPEC §5). */
export const groupRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const write = requires("groups", "read-write", "domain")

  const groupCommand = <T extends KnownCommandType>(request: HttpRequest, principal: Principal, name: string, type: T, payload: PayloadOf<T>, status: number) =>
    respond(
      runCommand(context, {
        ...commandOf(type, payload),
        category: GROUP_CATEGORY,
        domain: principal.domain,
        aggregateId: name,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => json(status, { success: true, group: context.groups.find(principal.domain, name) }, mutationHeaders(reply))))
    )

  const exceeds = (principal: Principal, permissions: ReadonlyArray<Permission>) =>
    !isSubsetOf(permissions, principal.permissions, principal.superuser)

  return [
    route({
      method: "POST",
      path: "/api/groups",
      tag: "identity",
      summary: "Create a group of the active domain with its permissions",
      access: write,
      headers: ["Idempotency-Key"],
      body: body(CreateGroup),
      responses: {
        201: ok("Created", GroupChanged),
        403: error("Granting permissions the caller does not hold"),
        409: error("The group exists"),
        422: error("The name or a permission is malformed")
      },
      handler: ({ request, principal, body }) => {
        if (!GROUP_NAME.test(body.name)) return text(422, "name must be 1 to 64 lower-case letters, digits, _ or -")
        const permissions: Array<Permission> = []
        for (const [i, raw] of body.permissions.entries()) {
          const permission = toPermission(raw, `permissions[${i}]`)
          if (typeof permission === "string") return text(422, permission)
          permissions.push(permission)
        }
        if (exceeds(principal, permissions)) return text(403, "You cannot grant permissions you do not hold yourself")
        return groupCommand(request, principal, body.name, "createGroup", { permissions }, 201)
      }
    }),

    route({
      method: "GET",
      path: "/api/groups",
      tag: "identity",
      summary: "Groups of the active domain",
      access: requires("groups", "read", "domain"),
      responses: { 200: ok("The groups", Schema.Array(GroupView)) },
      handler: ({ principal }) =>
        json(200, context.groups.list(principal.domain).map((g) => ({ name: g.name, permissions: g.permissions, version: g.version })))
    }),

    ...([["POST", "grantPermission"], ["DELETE", "revokePermission"]] as const).map(([method, type]) =>
      route({
        method,
        path: "/api/groups/:name/permissions",
        tag: "identity",
        summary: method === "POST" ? "Grant a permission to a group" : "Revoke a permission from a group",
        access: write,
        params: { name: "The group's name" },
        headers: ["Idempotency-Key"],
        body: body(PermissionBody, "The permission: feature, action (read, read-write), scope (nil, self, domain, all)"),
        responses: {
          200: ok("Changed", GroupChanged),
          403: error("Granting or revoking a permission the caller does not hold"),
          404: error("No such group"),
          422: error("The permission is malformed")
        },
        handler: ({ request, params: { name }, principal, body }) => {
          const permission = toPermission(body, "body")
          if (typeof permission === "string") return text(422, permission)
          if (exceeds(principal, [permission])) return text(403, "You cannot grant or revoke permissions you do not hold yourself")
          if (name !== "superuser" && context.groups.find(principal.domain, name) === undefined) {
            return text(404, `No group ${name.slice(0, 64)} in domain ${principal.domain}`)
          }
          return groupCommand(request, principal, name, type, { permission }, 200)
        }
      }))
  ]
}
