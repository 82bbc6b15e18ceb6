import type { HttpHandler, HttpRequest, HttpResponse, Router } from "@machhub/adapters"
import type { Authenticator } from "../auth/Authenticator.js"
import type { Principal } from "../auth/Principal.js"
import { decodeBody } from "../routes/decodeBody.js"
import { guard } from "./guard.js"
import { inFormat } from "./refusals.js"
import type { AnyRoute } from "./RouteDeclaration.js"

const declared = new WeakMap<Router, Array<AnyRoute>>()

/** The declarations mounted on a router so far (for the API document). */
export const declaredRoutes = (router: Router): ReadonlyArray<AnyRoute> => declared.get(router) ?? []

/** A route's handler behind the guard, with its body decoded and its errors in its format. */
export const handlerOf = (route: AnyRoute, authenticator: Authenticator | undefined): HttpHandler => {
  const format = route.errors ?? "text"
  const handle = route.handler
  const decode = route.body === undefined || route.body.mode === "read-by-handler" ? undefined : decodeBody(route.body.schema)
  const ifPresent = route.body?.mode === "decode-if-present"
  // Only SSH routes rewrite their handler's answers; text routes pass them through untouched.
  const finish = format === "text"
    ? (response: HttpResponse | Promise<HttpResponse>) => response
    : (response: HttpResponse | Promise<HttpResponse>) => (response instanceof Promise ? response.then((r) => inFormat(format, r)) : inFormat(format, response))

  const next = (request: HttpRequest, principal: Principal | undefined): HttpResponse | Promise<HttpResponse> => {
    let body: unknown
    if (decode !== undefined && !(ifPresent && request.body.length === 0)) {
      const decoded = decode(request)
      if (!decoded.ok) return inFormat(format, decoded.response)
      body = decoded.value
    }
    return finish(handle({ request, params: request.params, principal, body }))
  }
  return guard(route, authenticator, next)
}

/** Adds a table of declared routes to the router. */
export const mount = (router: Router, routes: ReadonlyArray<AnyRoute>, authenticator?: Authenticator): void => {
  let list = declared.get(router)
  if (list === undefined) declared.set(router, (list = []))
  for (const route of routes) {
    router.add(route.method, route.path, handlerOf(route, authenticator))
    list.push(route)
  }
}
