import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { json, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { DEFAULT_ACCESS, RECORD_CATEGORY, recordAggregateId, uuidv7, type CommandReply, type RecordReply } from "@machhub/core"
import { parseListQuery, parsePublicRecordId, publicRecordId, QueryError, recordJson, recordObject, type RecordsReadModel } from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"
import { anonymousAllowed, bodyReadByHandler, error, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { collectionAccess } from "../data/collectionAccess.js"
import { expandReferences } from "../data/expandReferences.js"
import type { RecordFiles } from "../data/files/RecordFiles.js"
import type { MultipartLimits } from "../data/multipart.js"
import { readRecordBody, type RecordBody } from "../data/recordBody.js"
import type { SchemaValidator } from "../data/SchemaValidator.js"
import type { ServerContext } from "../ServerContext.js"
import { parseDomainHeader } from "./domainHeader.js"
import { idempotencyKeyOf } from "./idempotency.js"
import { ifMatch, mutationHeaders, respond, runCommand } from "./runCommand.js"
import { parseAsOf } from "../audit/asOf.js"
import { recordAsOf } from "../audit/recordAsOf.js"
import { writeRecord } from "./recordWrites.js"
import { AsOfQuery, Json } from "./schemas.js"

const RecordQuery = Schema.Struct({
  ...AsOfQuery.fields,
  expand: Schema.optional(Schema.String.annotate({ description: "Reference fields to replace by the records they name (comma separated), as on lists" }))
})

/** `expand=` of a one-record read, checked by the list query's own rules. */
const expandedFields = (request: HttpRequest): { ok: true; fields: ReadonlyArray<string> } | { ok: false; response: HttpResponse } => {
  const expand = new URLSearchParams(request.query).getAll("expand")
  if (expand.length === 0) return { ok: true, fields: [] }
  const parsed = parseListQuery(new URLSearchParams(expand.map((value): [string, string] => ["expand", value])))
  return parsed instanceof QueryError ? { ok: false, response: text(400, parsed.message) } : { ok: true, fields: parsed.expand }
}

/** Table names: they also appear in record ids and routes, so letters, digits and `_` only. */
export const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
/** Names taken by other data-plane routes (SPEC §7). */
const RESERVED_TABLES = new Set(["auth", "tag", "historian", "processes", "function", "flow", "file"])

export interface RecordRouteContext extends ServerContext {
  readonly records: RecordsReadModel
  readonly schemas: SchemaValidator
  /** Files sent with records (multipart parts beside `record`). */
  readonly files: RecordFiles
}

/** Goes on with a body read at once (JSON) or once a form is parsed (multipart). */
const withBody = (body: RecordBody | Promise<RecordBody>, then: (body: RecordBody) => HttpResponse | Promise<HttpResponse>) =>
  body instanceof Promise ? body.then(then) : then(body)

/** The active domain: the caller's, or for anonymous callers the `Domain` header's. */
export const activeDomain = (request: HttpRequest, principal: Principal | undefined): { ok: true; domain: string } | { ok: false; response: HttpResponse } => {
  if (principal !== undefined) return { ok: true, domain: principal.domain }
  const parsed = parseDomainHeader(request.headers["domain"])
  return parsed.ok ? parsed : { ok: false, response: text(400, parsed.message) }
}

/** `POST /machhub/<table>`, `GET|PUT|DELETE /machhub/<domain>.<table>:<id>` (SPEC §6). */
export const recordRoutes = (context: RecordRouteContext): ReadonlyArray<AnyRoute> => {

  const answerRecord = (status: number, domain: string, table: string, id: string, reply: CommandReply<RecordReply>): HttpResponse => {
    // A record created by this very command is known without a read: its data, creator and time.
    const result = reply.result
    const row = status === 201 && reply.eventCount > 0 && reply.at !== undefined && result.creator !== undefined
      ? { id, data: JSON.stringify(result.data), creator: `${result.creator.kind}:${result.creator.id}`, created: reply.at, updated: reply.at, version: reply.version }
      : context.records.get(domain, table, id)
    const record = row === undefined ? "null" : recordJson(domain, table, row)
    return {
      status,
      contentType: "application/json; charset=utf-8",
      body: `{"success":true,"id":${JSON.stringify(publicRecordId(domain, table, id))},"record":${record}}`,
      headers: mutationHeaders(reply)
    }
  }

  const schemaProblem = (domain: string, table: string, record: Record<string, unknown>): string | undefined => {
    const definition = context.records.collection(domain, table)
    if (definition === undefined || definition.schema === null) return undefined
    return context.schemas.violation(`${domain}\u0000${table}`, definition.version, definition.schema, record)
  }

  /** Resolves `/machhub/<domain>.<table>:<id>` for the caller: another domain's id is simply not found. */
  const locate = (request: HttpRequest, principal: Principal | undefined) => {
    const parsed = parsePublicRecordId(request.params["id"]!)
    const domain = activeDomain(request, principal)
    if (!domain.ok) return { ok: false as const, response: domain.response }
    if (parsed === undefined) return { ok: false as const, response: text(404, "Record ids look like <domain>.<table>:<id>") }
    if (parsed.domain !== domain.domain) return { ok: false as const, response: text(404, `No record ${request.params["id"]!.slice(0, 200)}`) }
    return { ok: true as const, ...parsed, access: context.records.collection(parsed.domain, parsed.table)?.access ?? DEFAULT_ACCESS }
  }

  const limits: MultipartLimits = {
    maxFileBytes: context.config.maxFileBytes,
    maxFileSetting: "MACHHUB_MAX_FILE_BYTES",
    maxRecordBytes: context.config.maxBodyBytes,
    maxRecordSetting: "MACHHUB_MAX_BODY_BYTES"
  }

  const idParam = { id: "The record id, <domain>.<table>:<id>" } as const
  const RecordBody = Schema.Record(Schema.String, Schema.Unknown).annotate({
    description: "The record's fields, a JSON object; or a multipart/form-data body whose `record` part holds them and whose other " +
      "parts with a file name are files for the field each is named after (the field holds the file's name; read the bytes back " +
      "with PATCH /machhub/file). Checked against the collection's schema"
  })
  const RecordAnswer = Schema.Struct({ success: Schema.Literal(true), id: Schema.String, record: Json })
  const accessAnswers = {
    400: error("A malformed Domain header (anonymous callers), body, If-Match or Idempotency-Key"),
    401: error("Anonymous, and the collection is not public for this"),
    403: error("Missing permission collections:<action>:<scope>"),
    413: error("A file, the record or the whole multipart body over its limit (MACHHUB_MAX_FILE_BYTES, MACHHUB_MAX_BODY_BYTES, MACHHUB_MAX_UPLOAD_BYTES)")
  } as const

  return [
    route({
      method: "POST",
      path: "/machhub/:table",
      tag: "data",
      summary: "Create a record in a collection",
      description: "Anonymous callers are allowed when the collection's access policy makes writes public (their Domain header names the domain).",
      access: anonymousAllowed,
      params: { table: "The collection (table) name" },
      headers: ["Idempotency-Key"],
      body: bodyReadByHandler(RecordBody),
      responses: { 201: ok("Created", RecordAnswer), ...accessAnswers, 422: error("The record does not match the collection's schema") },
      handler: ({ request, params: { table }, principal }) => {
        if (!TABLE_NAME.test(table) || RESERVED_TABLES.has(table)) {
          return text(400, "Table names are 1 to 64 letters, digits or _ starting with a letter (and not a reserved name)")
        }
        const domain = activeDomain(request, principal)
        if (!domain.ok) return domain.response
        const access = collectionAccess(principal, context.records.collection(domain.domain, table)?.access ?? DEFAULT_ACCESS, "write")
        if (!access.allowed) return text(access.status, access.message)
        return withBody(readRecordBody(request, limits), (body) => {
          if (!body.ok) return body.response
          const idempotency = idempotencyKeyOf(request)
          if (!idempotency.ok) return idempotency.response
          // With an Idempotency-Key the id derives from it, so a retry lands on the same record and the
          // record's own history says it was already done.
          const id = idempotency.key === undefined
            ? uuidv7()
            : createHash("sha256").update(`${domain.domain}\u0000${access.actor.kind}:${access.actor.id}\u0000${table}\u0000${idempotency.key}`).digest("hex").slice(0, 32)
          return writeRecord(context.files, context.run, {
            request,
            record: { domain: domain.domain, table, id },
            body,
            check: (data) => {
              const problem = schemaProblem(domain.domain, table, data)
              return problem === undefined ? undefined : text(422, problem)
            },
            write: (data) =>
              runCommand(context, {
                type: "createRecord",
                category: RECORD_CATEGORY,
                domain: domain.domain,
                aggregateId: recordAggregateId(table, id),
                payload: { table, id, data, creator: access.actor, ...(idempotency.key === undefined ? {} : { idempotencyKey: idempotency.key }) },
                actor: access.actor,
                correlationId: request.correlationId,
                idempotencyKey: idempotency.key,
                newAggregate: idempotency.key === undefined
              }),
            answer: (reply) => answerRecord(201, domain.domain, table, id, reply)
          })
        })
      }
    }),

    route({
      method: "GET",
      path: "/machhub/:id",
      tag: "data",
      summary: "One record, now or as of a past moment",
      description: "Anonymous callers are allowed when the collection's access policy makes reads public.",
      access: anonymousAllowed,
      params: idParam,
      query: RecordQuery,
      responses: { 200: ok("The record with its _meta", Json), ...accessAnswers, 404: error("No such record") },
      handler: ({ request, params: { id }, principal }) => {
        const asOf = parseAsOf(request)
        if (!asOf.ok) return asOf.response
        const expand = expandedFields(request)
        if (!expand.ok) return expand.response
        const target = locate(request, principal)
        if (!target.ok) return target.response
        const access = collectionAccess(principal, target.access, "read")
        if (!access.allowed) return text(access.status, access.message)
        // ?asOf=: the record as it was then, folded from its stream (SPEC §10).
        if (asOf.asOf !== undefined) return recordAsOf(context.store, { ...target, onlyCreator: access.onlyCreator }, asOf.asOf, id)
        const row = context.records.get(target.domain, target.table, target.id)
        if (row === undefined || (access.onlyCreator !== undefined && row.creator !== access.onlyCreator)) {
          return text(404, `No record ${id.slice(0, 200)}`)
        }
        if (expand.fields.length === 0) return { status: 200, contentType: "application/json; charset=utf-8", body: recordJson(target.domain, target.table, row) }
        return json(200, expandReferences(context.records, recordObject(target.domain, target.table, row), expand.fields, target.domain, principal))
      }
    }),

    route({
      method: "PUT",
      path: "/machhub/:id",
      tag: "data",
      summary: "Change a record's fields (merged into the record)",
      access: anonymousAllowed,
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      body: bodyReadByHandler(RecordBody),
      responses: {
        200: ok("Changed", RecordAnswer),
        ...accessAnswers,
        404: error("No such record"),
        412: error("If-Match does not match the record's version"),
        422: error("The changed record does not match the collection's schema")
      },
      handler: ({ request, params: { id }, principal }) => {
        const target = locate(request, principal)
        if (!target.ok) return target.response
        const access = collectionAccess(principal, target.access, "write")
        if (!access.allowed) return text(access.status, access.message)
        const expected = ifMatch(request)
        if (!expected.ok) return expected.response
        const idempotency = idempotencyKeyOf(request)
        if (!idempotency.ok) return idempotency.response
        return withBody(readRecordBody(request, limits), (body) => {
          if (!body.ok) return body.response
          return writeRecord(context.files, context.run, {
            request,
            record: target,
            body,
            check: (changes) => {
              const current = context.records.get(target.domain, target.table, target.id)
              if (current === undefined) return undefined
              const problem = schemaProblem(target.domain, target.table, { ...(JSON.parse(current.data) as object), ...changes })
              return problem === undefined ? undefined : text(422, problem)
            },
            write: (changes) =>
              runCommand(context, {
                type: "updateRecord",
                category: RECORD_CATEGORY,
                domain: target.domain,
                aggregateId: recordAggregateId(target.table, target.id),
                payload: {
                  changes,
                  ...(access.onlyCreator === undefined ? {} : { requireCreator: access.onlyCreator }),
                  ...(idempotency.key === undefined ? {} : { idempotencyKey: idempotency.key })
                },
                actor: access.actor,
                correlationId: request.correlationId,
                idempotencyKey: idempotency.key,
                ...(expected.version === undefined ? {} : { expectedVersion: expected.version })
              }),
            answer: (reply) => answerRecord(200, target.domain, target.table, target.id, reply)
          })
        })
      }
    }),

    route({
      method: "DELETE",
      path: "/machhub/:id",
      tag: "data",
      summary: "Delete a record",
      access: anonymousAllowed,
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: {
        200: ok("Deleted", Schema.Struct({ success: Schema.Literal(true), id: Schema.String })),
        ...accessAnswers,
        404: error("No such record"),
        412: error("If-Match does not match the record's version")
      },
      handler: ({ request, params: { id }, principal }) => {
        const target = locate(request, principal)
        if (!target.ok) return target.response
        const access = collectionAccess(principal, target.access, "write")
        if (!access.allowed) return text(access.status, access.message)
        const expected = ifMatch(request)
        if (!expected.ok) return expected.response
        const idempotency = idempotencyKeyOf(request)
        if (!idempotency.ok) return idempotency.response
        return respond(
          runCommand(context, {
            type: "deleteRecord",
            category: RECORD_CATEGORY,
            domain: target.domain,
            aggregateId: recordAggregateId(target.table, target.id),
            payload: {
              ...(access.onlyCreator === undefined ? {} : { requireCreator: access.onlyCreator }),
              ...(idempotency.key === undefined ? {} : { idempotencyKey: idempotency.key })
            },
            actor: access.actor,
            correlationId: request.correlationId,
            idempotencyKey: idempotency.key,
            ...(expected.version === undefined ? {} : { expectedVersion: expected.version })
          }).pipe(Effect.map((reply) => json(200, { success: true, id: publicRecordId(target.domain, target.table, target.id) }, mutationHeaders(reply))))
        )
      }
    })
  ]
}
