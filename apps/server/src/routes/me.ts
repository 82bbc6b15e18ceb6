import { Schema } from "effect"
import { normalizePermissions } from "@machhub/core"
import { json, type HttpResponse } from "@machhub/adapters"
import { anyCaller, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import type { ServerContext } from "../ServerContext.js"
import { PermissionView } from "./schemas.js"

const Me = Schema.Struct({
  kind: Schema.Literals(["user", "key"]),
  id: Schema.String,
  userId: Schema.String,
  username: Schema.String,
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  email: Schema.optional(Schema.String),
  number: Schema.optional(Schema.String),
  userImage: Schema.optional(Schema.String),
  domain: Schema.String,
  groups: Schema.Array(Schema.String),
  superuser: Schema.Boolean,
  permissions: Schema.Array(PermissionView)
})

/**
 * `GET /api/me`: the caller as the server sees it (SPEC §5), from its current permissions in the
 * active domain, with the profile of the user acting (a key's issuer). The SDK's `/auth/me` and
 * permission checks are in machhubAuth.ts.
 */
export const meRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  // Principals are cached until access changes, so their answer can be cached alongside them.
  const answers = new WeakMap<Principal, HttpResponse>()
  return [
    route({
      method: "GET",
      path: "/api/me",
      tag: "identity",
      summary: "The caller: user or key, its profile, active domain, groups and permissions there",
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
            // A profile is set at creation only, so caching it with the principal never shows a stale one.
            ...context.users.findById(principal.userId)?.profile,
            domain: principal.domain,
            groups: principal.groups,
            superuser: principal.superuser,
            permissions: normalizePermissions(principal.permissions)
          })
          answers.set(principal, answer)
        }
        return answer
      }
    })
  ]
}
