import { text, type HttpRequest, type HttpResponse } from "./HttpExchange.js"
import { parseLoggableJson } from "./loggableJson.js"

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Parses a JSON request body, or says precisely why it cannot: wrong content type (415), empty body,
 * invalid UTF-8, malformed JSON, or JSON the event log could not hold exactly (a `__proto__` key, a
 * lone surrogate, nesting past MAX_JSON_DEPTH: see loggableJson.ts) (400).
 */
export const readJsonBody = (request: HttpRequest): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly response: HttpResponse } => {
  const contentType = request.headers["content-type"]
  if (contentType !== undefined) {
    const mediaType = contentType.split(";")[0]!.trim().toLowerCase()
    if (mediaType !== "application/json" && !mediaType.endsWith("+json")) {
      return { ok: false, response: text(415, `Content-Type must be application/json, not ${mediaType.slice(0, 100) || "empty"}`) }
    }
  }
  if (request.body.length === 0) return { ok: false, response: text(400, "Request body is empty; send a JSON object") }
  let source: string
  try {
    source = strictUtf8.decode(request.body)
  } catch {
    return { ok: false, response: text(400, "Request body is not valid UTF-8") }
  }
  const parsed = parseLoggableJson(source, "Request body")
  return parsed.ok ? parsed : { ok: false, response: text(400, parsed.message) }
}
