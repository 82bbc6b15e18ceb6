import { text, type HttpResponse } from "./HttpExchange.js"

/**
 * Cross-origin resource sharing for browser apps (the MACHHUB SDK runs in browsers) from a fixed list
 * of exact origins. Credentials are allowed for those origins, so the answer names the caller's origin,
 * never `*`. Origins not listed get no CORS headers at all, and the browser keeps the answer from the
 * page; requests without an `Origin` header (servers, scripts, same-origin navigations) are untouched.
 */

/**
 * A listed origin may send any request header it asks for in a preflight. The origin is what is
 * trusted; no header grants anything by being sent cross-origin (credentials are checked as from any
 * caller, and no route trusts a header as proof that a request is same-origin). A fixed list would
 * break real clients: the MACHHUB SDK sends, besides Domain, Authorization, X-Machhub-Api-Key and
 * X-Machhub-Runtime-Id, a stray header named `key`, and apps add tracing headers of their own.
 */
const HEADER_NAMES = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/
const MAX_REQUEST_HEADERS_LENGTH = 2048

/** Response headers a page may read besides the CORS-safelisted ones: correlation, versions, positions, retry hints, downloads. */
export const CORS_EXPOSED_HEADERS: ReadonlyArray<string> = [
  "App-CorrelationID",
  "ETag",
  "App-Event-Position",
  "Retry-After",
  "Content-Disposition",
  "Location",
  "WWW-Authenticate",
  "Allow"
]

/** How long a browser may reuse a preflight's answer: two hours, the most Chromium honours. */
export const CORS_MAX_AGE_SECONDS = 7200

export interface Cors {
  /** The headers every answer to `origin` carries, or undefined when the origin is not listed. */
  readonly headersFor: (origin: string) => Readonly<Record<string, string>> | undefined
  /**
   * The answer to a preflight from a listed origin for a path that takes `methods`: 204 with what may
   * be sent, 405 for a method the path does not take, 400 for a header list no browser sends.
   */
  readonly preflight: (path: string, requestMethod: string, requestHeaders: string | undefined, methods: ReadonlyArray<string>) => HttpResponse
}

/** A CORS policy for the listed origins, or undefined when none is listed (no CORS at all). */
export const makeCors = (origins: ReadonlyArray<string>): Cors | undefined => {
  if (origins.length === 0) return undefined
  const expose = CORS_EXPOSED_HEADERS.join(", ")
  // One frozen header set per origin, built once: an answer to a listed origin costs a Map lookup.
  const byOrigin = new Map<string, Readonly<Record<string, string>>>()
  for (const origin of origins) {
    byOrigin.set(origin, Object.freeze({
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Credentials": "true",
      "Access-Control-Expose-Headers": expose,
      Vary: "Origin"
    }))
  }
  const maxAge = String(CORS_MAX_AGE_SECONDS)

  return {
    headersFor: (origin) => byOrigin.get(origin),
    preflight: (path, requestMethod, requestHeaders, methods) => {
      const method = requestMethod.trim().toUpperCase()
      if (!methods.includes(method)) {
        return text(405, `${method.slice(0, 20)} is not allowed on ${path.slice(0, 200)}; use ${methods.join(", ")}`, { Allow: methods.join(", ") })
      }
      const requested = requestHeaders === undefined ? "" : requestHeaders.trim()
      if (requested !== "" && (requested.length > MAX_REQUEST_HEADERS_LENGTH || !HEADER_NAMES.test(requested))) {
        return text(400, `Access-Control-Request-Headers must be a comma-separated list of header names of at most ${MAX_REQUEST_HEADERS_LENGTH} characters`)
      }
      return {
        status: 204,
        body: "",
        headers: {
          "Access-Control-Allow-Methods": methods.join(", "),
          // Echoed as asked: an exact list works with credentials, where `*` would not.
          ...(requested === "" ? {} : { "Access-Control-Allow-Headers": requested }),
          "Access-Control-Max-Age": maxAge
        }
      }
    }
  }
}
