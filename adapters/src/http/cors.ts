import { text, type HttpResponse } from "./HttpExchange.js"

/**
 * Cross-origin resource sharing for browser apps (the MACHHUB SDK runs in browsers) from a fixed list
 * of exact origins. Credentials are allowed for those origins, so the answer names the caller's origin,
 * never `*`. Origins not listed get no CORS headers at all, and the browser keeps the answer from the
 * page; requests without an `Origin` header (servers, scripts, same-origin navigations) are untouched.
 */

/** Request headers a listed origin may send: what the SDK and the API read (credentials, tenant, concurrency, tracing). */
export const CORS_ALLOWED_REQUEST_HEADERS: ReadonlyArray<string> = [
  "Accept",
  "Accept-Language",
  "Content-Language",
  "Content-Type",
  "Authorization",
  "Domain",
  "X-Machhub-Api-Key",
  "X-Machhub-Runtime-Id",
  "App-CorrelationID",
  "App-Event-Position",
  "If-Match",
  "Idempotency-Key",
  "X-Master-Password"
]

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
   * be sent, 405 for a method the path does not take, 403 naming a request header that is not accepted.
   */
  readonly preflight: (path: string, requestMethod: string, requestHeaders: string | undefined, methods: ReadonlyArray<string>) => HttpResponse
}

const allowedHeaders = new Set(CORS_ALLOWED_REQUEST_HEADERS.map((name) => name.toLowerCase()))

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
      const requested = requestHeaders === undefined
        ? []
        : requestHeaders.split(",").map((name) => name.trim()).filter((name) => name !== "")
      const refused = requested.filter((name) => !allowedHeaders.has(name.toLowerCase()))
      if (refused.length > 0) {
        return text(
          403,
          `Cross-origin requests may not send the header${refused.length > 1 ? "s" : ""} ${refused.slice(0, 10).map((name) => name.slice(0, 60)).join(", ")}; ` +
            `the accepted ones are ${CORS_ALLOWED_REQUEST_HEADERS.join(", ")}`
        )
      }
      return {
        status: 204,
        body: "",
        headers: {
          "Access-Control-Allow-Methods": methods.join(", "),
          ...(requested.length === 0 ? {} : { "Access-Control-Allow-Headers": requested.join(", ") }),
          "Access-Control-Max-Age": maxAge
        }
      }
    }
  }
}
