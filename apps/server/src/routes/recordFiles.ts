import { Effect, Schema } from "effect"
import { streamed, text, type HttpResponse } from "@machhub/adapters"
import { DEFAULT_ACCESS, RECORD_CATEGORY, recordAggregate, recordAggregateId, streamName } from "@machhub/core"
import { creatorKey, parsePublicRecordId } from "@machhub/projections"
import { anonymousAllowed, body, content, error, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { answerAsOf, describeAsOf, parseAsOf, stateAsOf } from "../audit/asOf.js"
import { collectionAccess } from "../data/collectionAccess.js"
import { namesFile } from "../data/files/fileFields.js"
import type { RecordKey } from "../data/files/FileIndex.js"
import { log } from "../log.js"
import { activeDomain, type RecordRouteContext } from "./records.js"
import { AsOfQuery } from "./schemas.js"

const Name = Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(1024))

const FileRequest = Schema.Struct({
  fileName: Name.annotate({ description: "The file's name, as the record's field holds it" }),
  collectionName: Name.annotate({ description: "The record's collection (table), without the domain" }),
  fieldName: Name.annotate({ description: "The record field holding the file's name" }),
  recordID: Name.annotate({ description: "The full record id, <domain>.<table>:<id>" })
})

/** `filename*` per RFC 8187 (any name), with a plain ASCII `filename` for clients that only read that. */
const disposition = (name: string): string => {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_")
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

const quoted = (value: string): string => JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)

/** `PATCH /machhub/file` (SPEC §6a): the bytes of a file a record names, as the MACHHUB SDK's getFile asks for them. */
export const recordFileRoutes = (context: RecordRouteContext): ReadonlyArray<AnyRoute> => {

  /** The file the record's fields name, sent with its sniffed type; 404 when the field does not name it. */
  const send = async (record: RecordKey, data: Readonly<Record<string, unknown>>, field: string, name: string, when: string): Promise<HttpResponse> => {
    const notNamed = text(404, `Record ${quoted(`${record.domain}.${record.table}:${record.id}`)} has no file ${quoted(name)} in field ${quoted(field)}${when}`)
    if (!Object.hasOwn(data, field) || !namesFile(data[field], name)) return notNamed
    // A name the field holds without bytes ever sent for it (written as plain JSON) has no entry.
    const entry = context.files.find(record, field, name)
    if (entry === undefined) return notNamed
    const stored = await context.files.open(record.domain, entry.sha256)
    if (stored === undefined) {
      log("error", "the bytes of a file a record names are missing from the data dir", { ...record, field, name, sha256: entry.sha256 })
      return text(500, `The bytes of file ${quoted(name)} are missing from the server's storage`)
    }
    return streamed(200, entry.type, stored.chunks, {
      "Content-Disposition": disposition(name),
      // Served as stored: never interpreted by a browser as something else, nor run as a page.
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox"
    })
  }

  return [
    route({
      method: "PATCH",
      path: "/machhub/file",
      tag: "data",
      summary: "The bytes of a file a record holds",
      description: "What a record field names (a file sent with the record as a multipart part), answered with its content type as " +
        "sniffed when it was stored. The caller needs read access to the record's collection, as for GET of the record. With " +
        "?asOf= the record is read as of then: a file a past version named is still served after the field was replaced or " +
        "the record deleted.",
      access: anonymousAllowed,
      query: AsOfQuery,
      body: body(FileRequest, "fileName, collectionName, fieldName and recordID, as the SDK's getFile sends them"),
      responses: {
        200: content("application/octet-stream", "The file's bytes, with the content type they were stored with"),
        400: error("A malformed body, asOf or Domain header (anonymous callers)"),
        401: error("Anonymous, and the collection is not public for reading"),
        403: error("Missing permission collections:read:<scope>"),
        404: error("No such record (in the caller's domain and this collection), or its field does not name this file"),
        503: error("An asOf read could not read the log")
      },
      handler: ({ request, body: { fileName, collectionName, fieldName, recordID }, principal }) => {
        const asOf = parseAsOf(request)
        if (!asOf.ok) return asOf.response
        const domain = activeDomain(request, principal)
        if (!domain.ok) return domain.response
        const noRecord = text(404, `No record ${recordID.slice(0, 200)}`)
        const parsed = parsePublicRecordId(recordID)
        if (parsed === undefined) return text(404, "Record ids look like <domain>.<table>:<id>")
        // Another domain's record is not found, exactly as GET /machhub/<id> answers it.
        if (parsed.domain !== domain.domain) return noRecord
        if (parsed.table !== collectionName) return text(404, `Record ${recordID.slice(0, 200)} is not in collection ${quoted(collectionName)}`)
        const access = collectionAccess(principal, context.records.collection(parsed.domain, parsed.table)?.access ?? DEFAULT_ACCESS, "read")
        if (!access.allowed) return text(access.status, access.message)
        const record: RecordKey = { domain: parsed.domain, table: parsed.table, id: parsed.id }

        if (asOf.asOf === undefined) {
          const row = context.records.get(record.domain, record.table, record.id)
          if (row === undefined || (access.onlyCreator !== undefined && row.creator !== access.onlyCreator)) return noRecord
          return send(record, JSON.parse(row.data) as Record<string, unknown>, fieldName, fileName, "")
        }
        const moment = asOf.asOf
        const stream = streamName(RECORD_CATEGORY, record.domain, recordAggregateId(record.table, record.id))
        return answerAsOf(stateAsOf(context.store, stream, recordAggregate, moment).pipe(
          Effect.flatMap((found) => {
            const state = found?.state
            if (state === undefined || state._tag !== "Active" || (access.onlyCreator !== undefined && creatorKey(state.creator) !== access.onlyCreator)) {
              return Effect.succeed(text(404, `No record ${recordID.slice(0, 200)} as of ${describeAsOf(moment)}`))
            }
            return Effect.promise(() => send(record, state.data, fieldName, fileName, ` as of ${describeAsOf(moment)}`))
          })
        ))
      }
    })
  ]
}
