import { parseLoggableJson, readJsonBody, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { isMultipart } from "./files/bodyLimit.js"
import { attachFiles } from "./files/fileFields.js"
import { readMultipartForm, type MultipartLimits, type UploadedFile } from "./multipart.js"

const MAX_DEPTH = 32

const depthOf = (value: unknown, depth = 0): number => {
  if (depth > MAX_DEPTH || typeof value !== "object" || value === null) return depth
  let deepest = depth
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, depth + 1))
    if (deepest > MAX_DEPTH) return deepest
  }
  return deepest
}

export type RecordBody =
  | { readonly ok: true; readonly data: Record<string, unknown>; readonly files: ReadonlyArray<UploadedFile> }
  | { readonly ok: false; readonly response: HttpResponse }

const NO_FILES: ReadonlyArray<UploadedFile> = Object.freeze([])

/** A record must be a JSON object nested at most 32 deep; `id` and `_meta` belong to the server and are dropped. */
const asRecord = (value: unknown): { ok: true; data: Record<string, unknown> } | { ok: false; response: HttpResponse } => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, response: text(422, "A record must be a JSON object") }
  }
  if (depthOf(value) > MAX_DEPTH) return { ok: false, response: text(422, `A record may nest at most ${MAX_DEPTH} levels deep`) }
  const { id: _id, _meta: _ignored, ...data } = value as Record<string, unknown>
  return { ok: true, data }
}

const readForm = async (request: HttpRequest, contentType: string, limits: MultipartLimits): Promise<RecordBody> => {
  const form = await readMultipartForm(request.body, contentType, limits)
  if (!form.ok) return { ok: false, response: text(form.status, form.message) }
  // The same rules as a JSON body: what the log cannot hold exactly is refused (loggableJson.ts).
  const parsed = parseLoggableJson(form.record, "The record field")
  if (!parsed.ok) return { ok: false, response: text(400, parsed.message) }
  const record = asRecord(parsed.value)
  if (!record.ok || form.files.length === 0) return record.ok ? { ok: true, data: record.data, files: NO_FILES } : record
  const joined = attachFiles(record.data, form.files)
  return joined.ok ? { ok: true, data: joined.data, files: joined.files } : { ok: false, response: text(400, joined.message) }
}

/**
 * A record's fields from a JSON body, or from a `multipart/form-data` body (SPEC §6, §6a): its
 * `record` part holds the JSON and each file part is a file for the record field it is named after,
 * whose value is the file's name. A JSON body is read at once (the records hot path); a form is
 * parsed asynchronously.
 */
export const readRecordBody = (request: HttpRequest, limits: MultipartLimits): RecordBody | Promise<RecordBody> => {
  const contentType = request.headers["content-type"]
  if (isMultipart(contentType)) return readForm(request, contentType!, limits)
  const body = readJsonBody(request)
  if (!body.ok) return body
  const record = asRecord(body.value)
  return record.ok ? { ok: true, data: record.data, files: NO_FILES } : record
}
