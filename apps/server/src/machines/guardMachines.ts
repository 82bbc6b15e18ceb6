import { isAllowed, type Action } from "@machhub/core"
import type { HttpHandler, HttpRequest, HttpResponse } from "@machhub/adapters"
import type { Authentication, Authenticator } from "../auth/Authenticator.js"
import { isRefusal, type Principal } from "../auth/Principal.js"
import { failure } from "./envelope.js"

export type MachineHandler = (request: HttpRequest, principal: Principal) => HttpResponse | Promise<HttpResponse>

/**
 * protect() for SSH-machine routes: the cookie `jwt` counts as a credential (SPEC §2), refusals keep
 * the envelope, and the caller needs feature `machines` at scope `self` in the active domain (read
 * for reads, read-write for changes and connect). Ownership is checked on top by each route.
 * API keys are refused: the seed's surface has none, and a key that opens shells would be a standing
 * credential to every machine of its issuer.
 */
export const guardMachines = (authenticator: Authenticator, action: Action, handler: MachineHandler): HttpHandler => {
  const decide = (request: HttpRequest, outcome: Authentication): HttpResponse | Promise<HttpResponse> => {
    if (isRefusal(outcome)) return failure(outcome.status, outcome.message, outcome.headers)
    if (outcome.kind !== "user") {
      return failure(403, "API keys cannot use SSH machines; sign in as the user (Authorization: Bearer <token> or cookie jwt)")
    }
    if (!isAllowed(outcome.permissions, { feature: "machines", action, scope: "self" }, outcome.superuser)) {
      return failure(403, `Missing permission machines:${action}:self in domain ${outcome.domain}`)
    }
    return handler(request, outcome)
  }
  return (request) => {
    const outcome = authenticator.authenticate(request, { allowCookie: true })
    return outcome instanceof Promise ? outcome.then((resolved) => decide(request, resolved)) : decide(request, outcome)
  }
}
