import { text, type HttpHandler, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import type { Authentication, Authenticator } from "./Authenticator.js"
import { isRefusal, type Principal } from "./Principal.js"
import { readCredential } from "./readCredential.js"

/**
 * For routes that anonymous callers may use when a resource is public (SPEC §3): no credential → the
 * handler gets `undefined` and decides; a credential that fails → refused as usual (a bad credential
 * never silently downgrades to anonymous).
 */
export const withCaller = (
  authenticator: Authenticator,
  handler: (request: HttpRequest, principal: Principal | undefined) => HttpResponse | Promise<HttpResponse>
): HttpHandler => {
  const decide = (request: HttpRequest, outcome: Authentication) =>
    isRefusal(outcome) ? text(outcome.status, outcome.message, outcome.headers as Record<string, string> | undefined) : handler(request, outcome)
  return (request) => {
    if (readCredential(request.headers).kind === "none") return handler(request, undefined)
    const outcome = authenticator.authenticate(request)
    return outcome instanceof Promise ? outcome.then((resolved) => decide(request, resolved)) : decide(request, outcome)
  }
}
