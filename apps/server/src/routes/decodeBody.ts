import { Result, Schema } from "effect"
import { readJsonBody, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"

/** Reads a JSON body and decodes it with a schema; a failure is a 4xx that names the offending field. */
export const decodeBody = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (request: HttpRequest): { ok: true; value: S["Type"] } | { ok: false; response: HttpResponse } => {
    const body = readJsonBody(request)
    if (!body.ok) return body
    const decoded = decode(body.value)
    if (Result.isFailure(decoded)) {
      return { ok: false, response: text(400, `Invalid request body: ${decoded.failure.message.replace(/\s*\n\s*/g, " ")}`) }
    }
    return { ok: true, value: decoded.success }
  }
}
