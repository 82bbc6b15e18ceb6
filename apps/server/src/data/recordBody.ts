import { parseLoggableJson, readJsonBody, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { multipartField } from "./multipart.js"

const MAX_DEPTH = 32
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

const depthOf = (value: unknown, depth = 0): number => {
  if (depth > MAX_DEPTH || typeof value !== "object" || value === null) return depth
  let deepest = depth
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, depth + 1))
    if (deepest > MAX_DEPTH) return deepest
  }
  return deepest
}

/**
 * A record's fields from a JSON body, or from the `record` field of a multipart body (SPEC §6). It must
 * be a JSON object nested at most 32 deep; `id` and `_meta` belong to the server and are dropped.
 */
export const readRecordBody = (request: HttpRequest): { ok: true; data: Record<string, unknown> } | { ok: false; response: HttpResponse } => {
  const contentType = request.headers["content-type"] ?? ""
  let value: unknown
  if (contentType.toLowerCase().startsWith("multipart/form-data")) {
    const field = multipartField(request.body, contentType, "record")
    if (!field.ok) return { ok: false, response: text(400, field.message) }
    let source: string
    try {
      source = strictUtf8.decode(field.value)
    } catch {
      return { ok: false, response: text(400, "The record field is not valid UTF-8") }
    }
    // The same rules as a JSON body: what the log cannot hold exactly is refused (loggableJson.ts).
    const parsed = parseLoggableJson(source, "The record field")
    if (!parsed.ok) return { ok: false, response: text(400, parsed.message) }
    value = parsed.value
  } else {
    const body = readJsonBody(request)
    if (!body.ok) return body
    value = body.value
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, response: text(422, "A record must be a JSON object") }
  }
  if (depthOf(value) > MAX_DEPTH) return { ok: false, response: text(422, `A record may nest at most ${MAX_DEPTH} levels deep`) }
  const { id: _id, _meta: _ignored, ...data } = value as Record<string, unknown>
  return { ok: true, data }
}
