import { allowedActions, isFeatureName, isScope, normalizePermissions } from "@machhub/core"
import { json, text, type HttpResponse, type Router } from "@machhub/adapters"
import type { Principal } from "../auth/Principal.js"
import { protect } from "../auth/protect.js"
import type { ServerContext } from "../ServerContext.js"

/**
 * `GET /api/me`: the caller as the server sees it. `GET /auth/permission/action/feature/<f>/scope/<s>`:
 * what the caller may do on a feature at a scope (SPEC §5). Both answer from the caller's current
 * permissions in the active domain.
 */
export const meRoutes = (router: Router, context: ServerContext): void => {
  // Principals are cached until access changes, so their answer can be cached alongside them.
  const answers = new WeakMap<Principal, HttpResponse>()
  router.add("GET", "/api/me", protect(context.authenticator, undefined, (_, principal) => {
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
  }))

  router.add("GET", "/auth/permission/action/feature/:feature/scope/:scope", protect(context.authenticator, undefined, (request, principal) => {
    const { feature, scope } = request.params as { feature: string; scope: string }
    if (!isFeatureName(feature)) return text(400, "feature must be lower-case letters, digits, _ or - (e.g. collections)")
    if (!isScope(scope)) return text(400, "scope must be one of nil, self, domain, all")
    return json(200, { actions: allowedActions(principal.permissions, feature, scope, principal.superuser) })
  }))
}
