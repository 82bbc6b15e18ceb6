import { isAllowed } from "@machhub/core"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import type { Authentication, Authenticator } from "../auth/Authenticator.js"
import { isRefusal, type Principal } from "../auth/Principal.js"
import { readCredential } from "../auth/readCredential.js"
import { keysRefused, missingPermission, onlyGlobalSuperuser, render } from "./refusals.js"
import { TOKENS_AND_KEYS, type AnyRoute } from "./RouteDeclaration.js"

type Next = (request: HttpRequest, principal: Principal | undefined) => HttpResponse | Promise<HttpResponse>

/**
 * The one guard: decides from a route's declaration whether a request reaches its handler, in this
 * order: the credential (401, or 403 for the Domain header or membership, 429 over a key's rate),
 * credential kind (keys refused where declared), global superuser, then the permission in the active
 * domain. Synchronous whenever authentication is (a credential verified before): no promise and no
 * Effect on the hot path.
 */
export const guard = (route: AnyRoute, authenticator: Authenticator | undefined, next: Next): ((request: HttpRequest) => HttpResponse | Promise<HttpResponse>) => {
  const access = route.access
  if (access.kind === "public") return (request) => next(request, undefined)
  if (authenticator === undefined) throw new Error(`${route.method} ${route.path} needs an authenticator`)
  const format = route.errors ?? "text"
  const credentials = route.credentials ?? TOKENS_AND_KEYS
  const options = { allowCookie: credentials.cookie }
  const permission = access.kind === "authenticated" ? access.permission : undefined
  const superuserPurpose = access.kind === "authenticated" ? access.globalSuperuser : undefined

  const decide = (request: HttpRequest, outcome: Authentication): HttpResponse | Promise<HttpResponse> => {
    if (isRefusal(outcome)) return render(format, outcome)
    if (credentials.keys !== "accepted" && outcome.kind !== "user") return render(format, keysRefused(credentials.keys))
    if (superuserPurpose !== undefined && !outcome.globalSuperuser) return render(format, onlyGlobalSuperuser(superuserPurpose))
    if (permission !== undefined && !isAllowed(outcome.permissions, permission, outcome.superuser)) {
      return render(format, missingPermission(permission, outcome.domain))
    }
    return next(request, outcome)
  }
  const authenticate = (request: HttpRequest): HttpResponse | Promise<HttpResponse> => {
    const outcome = authenticator.authenticate(request, options)
    return outcome instanceof Promise ? outcome.then((resolved) => decide(request, resolved)) : decide(request, outcome)
  }
  if (access.kind === "anonymous-allowed") {
    return (request) => (readCredential(request.headers, options).kind === "none" ? next(request, undefined) : authenticate(request))
  }
  return authenticate
}
