import type { HttpHandler } from "./HttpExchange.js"

/**
 * Method + path routing with `:name` segments (and a last `:name+` taking the rest of the path). Unlike uWebSockets.js's own router it can tell
 * "no such path" (404) from "path exists, wrong method" (405 with Allow).
 */
export type RouteMatch =
  | { readonly _tag: "Found"; readonly handler: HttpHandler; readonly params: Record<string, string> }
  | { readonly _tag: "MethodNotAllowed"; readonly allow: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }

interface Route {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  handler: HttpHandler
}

/** "/a/b/" and "/a/b" are the same route. */
const normalize = (path: string): string => (path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path)

const split = (path: string): Array<string> => normalize(path).split("/").slice(1)

const noParams: Record<string, string> = Object.freeze({}) as Record<string, string>

export class Router {
  private readonly exact = new Map<string, Map<string, HttpHandler>>()
  private readonly patterns: Array<Route> = []

  add(method: string, path: string, handler: HttpHandler): this {
    const upper = method.toUpperCase()
    if (path.includes(":")) {
      this.patterns.push({ method: upper, segments: split(path), handler })
    } else {
      const key = normalize(path)
      let byMethod = this.exact.get(key)
      if (byMethod === undefined) this.exact.set(key, (byMethod = new Map()))
      byMethod.set(upper, handler)
    }
    return this
  }

  /** Wraps every route registered so far, except the listed fixed paths (e.g. a readiness gate). */
  guardAll(wrap: (handler: HttpHandler) => HttpHandler, except: ReadonlyArray<string> = []): this {
    for (const [path, byMethod] of this.exact) {
      if (except.includes(path)) continue
      for (const [method, handler] of byMethod) byMethod.set(method, wrap(handler))
    }
    for (const route of this.patterns) route.handler = wrap(route.handler)
    return this
  }

  /** Every registered route as declared (`:name` segments kept), e.g. to check a generated API document against. */
  routes(): ReadonlyArray<{ readonly method: string; readonly path: string }> {
    const listed: Array<{ method: string; path: string }> = []
    for (const [path, byMethod] of this.exact) for (const method of byMethod.keys()) listed.push({ method, path })
    for (const route of this.patterns) listed.push({ method: route.method, path: `/${route.segments.join("/")}` })
    return listed
  }

  /**
   * Every method some route takes at this concrete path (HEAD wherever GET is), fixed and `:name`
   * routes alike; empty when no route has the path. For OPTIONS and CORS preflights, which are not on
   * the hot path.
   */
  methodsAt(path: string): ReadonlyArray<string> {
    const methods = new Set<string>(this.exact.get(normalize(path))?.keys())
    const segments = split(path)
    for (const route of this.patterns) {
      if (matchSegments(route.segments, segments) !== undefined) methods.add(route.method)
    }
    if (methods.has("GET")) methods.add("HEAD")
    return [...methods]
  }

  match(method: string, path: string): RouteMatch {
    // Hot path: a fixed route is one Map lookup, no splitting.
    const byMethod = this.exact.get(normalize(path))
    if (byMethod !== undefined) {
      const handler = byMethod.get(method) ?? (method === "HEAD" ? byMethod.get("GET") : undefined)
      if (handler !== undefined) return { _tag: "Found", handler, params: noParams }
    }
    const allow = new Set<string>(byMethod?.keys())
    const segments = split(path)
    for (const route of this.patterns) {
      const params = matchSegments(route.segments, segments)
      if (params === undefined) continue
      if (route.method === method || (method === "HEAD" && route.method === "GET")) return { _tag: "Found", handler: route.handler, params }
      allow.add(route.method)
    }
    return allow.size > 0 ? { _tag: "MethodNotAllowed", allow: [...allow] } : { _tag: "NotFound" }
  }
}

const matchSegments = (pattern: ReadonlyArray<string>, actual: ReadonlyArray<string>): Record<string, string> | undefined => {
  const last = pattern[pattern.length - 1]!
  // A last segment `:name+` takes the rest of the path (one segment or more, `/` kept): MQTT topic names.
  const rest = last.startsWith(":") && last.endsWith("+")
  if (rest ? actual.length < pattern.length : pattern.length !== actual.length) return undefined
  let params: Record<string, string> | undefined
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!
    const value = actual[i]!
    if (rest && i === pattern.length - 1) {
      let decoded: string
      try {
        decoded = actual.slice(i).map(decodeURIComponent).join("/")
      } catch {
        return undefined
      }
      if (decoded.length === 0) return undefined
      ;(params ??= {})[expected.slice(1, -1)] = decoded
    } else if (expected.startsWith(":")) {
      if (value.length === 0) return undefined
      let decoded: string
      try {
        decoded = decodeURIComponent(value)
      } catch {
        return undefined
      }
      ;(params ??= {})[expected.slice(1)] = decoded
    } else if (expected !== value) {
      return undefined
    }
  }
  return params ?? {}
}
