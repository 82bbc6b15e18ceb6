import { isAllowed, type Action, type Scope } from "@machhub/core"
import { text, type HttpHandler, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import type { Authentication, Authenticator } from "./Authenticator.js"
import { isRefusal, type Principal } from "./Principal.js"

/** The permission a route needs (SPEC §3); `undefined` means any authenticated caller. */
export interface Requirement {
  readonly feature: string
  readonly action: Action
  readonly scope: Scope
}

export type ProtectedHandler = (request: HttpRequest, principal: Principal) => HttpResponse | Promise<HttpResponse>

/**
 * Wraps a handler so it runs only for an authenticated caller holding `requirement` in the active
 * domain: no or bad credential → 401, missing permission → 403, over a key's rate → 429.
 */
export const protect = (
  authenticator: Authenticator,
  requirement: Requirement | undefined,
  handler: ProtectedHandler,
  options: { readonly allowCookie?: boolean } = {}
): HttpHandler => {
  const decide = (request: HttpRequest, outcome: Authentication): HttpResponse | Promise<HttpResponse> => {
    if (isRefusal(outcome)) return text(outcome.status, outcome.message, outcome.headers as Record<string, string> | undefined)
    if (requirement !== undefined && !isAllowed(outcome.permissions, requirement, outcome.superuser)) {
      return text(403, `Missing permission ${requirement.feature}:${requirement.action}:${requirement.scope} in domain ${outcome.domain}`)
    }
    return handler(request, outcome)
  }
  return (request) => {
    const outcome = authenticator.authenticate(request, options)
    return outcome instanceof Promise ? outcome.then((resolved) => decide(request, resolved)) : decide(request, outcome)
  }
}
