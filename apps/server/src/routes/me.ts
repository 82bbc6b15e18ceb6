import { Schema } from "effect"
import { allowedActions, isFeatureName, isScope, normalizePermissions } from "@machhub/core"
import { json, text, type HttpResponse } from "@machhub/adapters"
import { anyCaller, error, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import type { ServerContext } from "../ServerContext.js"
import { PermissionView } from "./schemas.js"

const Me = Schema.Struct({
  kind: Schema.Literals(["user", "key"]),
  id: Schema.String,
  userId: Schema.String,
  username: Schema.String,
  domain: Schema.String,
  groups: Schema.Array(Schema.String),
  superuser: Schema.Boolean,
  permissions: Schema.Array(PermissionView)
})

/**
 * `GET /api/me`: the caller as the server sees it. `GET /auth/permission/action/feature/<f>/scope/<s>`:
 * what the caller may do on a feature at a scope (SPEC §5). Both answer from the caller's current
 * permissions in the active domain.
 */
export const meRoutes = (_context: ServerContext): ReadonlyArray<AnyRoute> => {
  // Principals are cached until access changes, so their answer can be cached alongside them.
  const answers = new WeakMap<Principal, HttpResponse>()
  return [
    route({
      method: "GET",
      path: "/api/me",
      tag: "identity",
      summary: "The caller: user or key, active domain, groups and permissions there",
      access: anyCaller,
      responses: { 200: ok("The caller", Me) },
      handler: ({ principal }) => {
        let answer = answers.get(principal)
        if (answer === undefined) {
          answer = json(200, {
            kind: principal.kind,
            id: principal.id,
            userId: principal.userId,
            username: principal.username,
            domain: principal.domain,
            groups: principal.groups,
            superuser: principal.superuser,
            permissions: normalizePermissions(principal.permissions)
          })
          answers.set(principal, answer)
        }
        return answer
      }
    }),
    route({
      method: "GET",
      path: "/auth/permission/action/feature/:feature/scope/:scope",
      tag: "identity",
      summary: "The actions the caller may take on a feature at a scope",
      access: anyCaller,
      params: { feature: "A feature name, e.g. collections", scope: "nil, self, domain or all" },
      responses: {
        200: ok("The allowed actions", Schema.Struct({ actions: Schema.Array(Schema.String) })),
        400: error("The feature or scope is not well formed")
      },
      handler: ({ params: { feature, scope }, principal }) => {
        if (!isFeatureName(feature)) return text(400, "feature must be lower-case letters, digits, _ or - (e.g. collections)")
        if (!isScope(scope)) return text(400, "scope must be one of nil, self, domain, all")
        return json(200, { actions: allowedActions(principal.permissions, feature, scope, principal.superuser) })
      }
    })
  ]
}
