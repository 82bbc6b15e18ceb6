import { Effect, Schema } from "effect"
import { json } from "@machhub/adapters"
import type { CommandReply } from "@machhub/core"
import type { GroupRow } from "@machhub/projections"
import { body, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { makeGroupManagement } from "../identity/groupManagement.js"
import type { ServerContext } from "../ServerContext.js"
import { PermissionView } from "./schemas.js"
import { mutationHeaders, respond } from "./runCommand.js"

const PermissionBody = Schema.Struct({ feature: Schema.String, action: Schema.String, scope: Schema.String })
const CreateGroup = Schema.Struct({
  name: Schema.String.check(Schema.isMaxLength(200)),
  permissions: Schema.Array(PermissionBody).check(Schema.isMaxLength(200))
})
const GroupView = Schema.Struct({ name: Schema.String, permissions: Schema.Array(PermissionView), version: Schema.Number })
const GroupChanged = Schema.Struct({ success: Schema.Literal(true), group: Schema.optional(GroupView) })

/** Groups of the active domain and their permissions (SPEC §5); the rules live in identity/groupManagement.ts. */
export const groupRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const write = requires("groups", "read-write", "domain")
  const groups = makeGroupManagement(context)
  const changed = (status: number, group: GroupRow | undefined, reply: CommandReply | undefined) =>
    json(status, { success: true, group }, reply === undefined ? {} : mutationHeaders(reply))

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
      handler: ({ request, principal, body }) =>
        respond(groups.create(principal, request, body.name, body.permissions, (i, field) => `permissions[${i}].${field}`).pipe(
          Effect.map(({ reply, group }) => changed(201, group, reply))
        ))
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
        handler: ({ request, params: { name }, principal, body }) =>
          respond(groups.change(principal, request, name, type, [body], (_, field) => `body.${field}`).pipe(
            Effect.map(({ replies, group }) => changed(200, group, replies[0]))
          ))
      }))
  ]
}
