import type Database from "better-sqlite3"
import { Schema } from "effect"
import { json, text, type HttpRequest } from "@machhub/adapters"
import { DEFAULT_ACCESS } from "@machhub/core"
import {
  indexKeys,
  mapFilters,
  parseListQuery,
  project,
  QueryError,
  recordJson,
  recordObject,
  toSql,
  type Filter,
  type ListQuery,
  type RecordRow
} from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"
import { anonymousAllowed, error, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { collectionAccess } from "../data/collectionAccess.js"
import { expandReferences } from "../data/expandReferences.js"
import { collectionKey, PageCache } from "../data/PageCache.js"
import { activeDomain, TABLE_NAME, type RecordRouteContext } from "./records.js"
import { Json } from "./schemas.js"

const STATEMENT_CACHE = 256

/** `GET /machhub/<table>/all` (a bare array of records) and `GET /machhub/<table>/count` (SPEC §6). */
export const listRoutes = (context: RecordRouteContext): ReadonlyArray<AnyRoute> => {
  const db: Database.Database = context.readModels
  const pages = new PageCache()
  context.projections.onApplied(pages.observe)
  const statements = new Map<string, Database.Statement>()
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value!)
      statement = db.prepare(sql)
      statements.set(sql, statement)
    }
    return statement
  }

  /** Parses and authorizes a list request; a self-scope caller's query gets a filter on its own records. */
  const plan = (request: HttpRequest, principal: Principal | undefined) => {
    const table = request.params["table"]!
    if (!TABLE_NAME.test(table)) return { ok: false as const, response: text(404, `No collection ${table.slice(0, 64)}`) }
    const domain = activeDomain(request, principal)
    if (!domain.ok) return { ok: false as const, response: domain.response }
    const access = collectionAccess(principal, context.records.collection(domain.domain, table)?.access ?? DEFAULT_ACCESS, "read")
    if (!access.allowed) return { ok: false as const, response: text(access.status, access.message) }
    const parsed = parseListQuery(new URLSearchParams(request.query))
    if (parsed instanceof QueryError) return { ok: false as const, response: text(400, parsed.message) }
    const prefix = `${domain.domain}.${table}:`
    // Record ids travel as `<domain>.<table>:<id>`; the table stores the short id.
    const shortIds = mapFilters(parsed, (filter) =>
      filter.field.kind === "column" && filter.field.column === "id"
        ? { ...filter, values: filter.values.map((v) => (typeof v === "string" && v.startsWith(prefix) ? v.slice(prefix.length) : v)) }
        : filter)
    const query: ListQuery = access.onlyCreator === undefined ? shortIds : { ...shortIds, filters: [...shortIds.filters, ownRecords(access.onlyCreator)] }
    const name = context.records.tables.find(domain.domain, table)
    if (name !== undefined) for (const key of indexKeys(query)) context.records.tables.ensureIndex(name, key)
    return { ok: true as const, domain: domain.domain, table, name, query, principal }
  }

  const tableParam = { table: "The collection (table) name" } as const
  const ListQuery = Schema.Struct({
    "filter[<field>][<op>][<type>]": Schema.optional(Schema.String.annotate({
      description: "A filter, repeatable (all must hold): op is = == != > < >= <= ~ !~ @@ CONTAINS CONTAINSNOT CONTAINSALL CONTAINSANY CONTAINSNONE IN INSIDE NOT IN NOTINSIDE ALLINSIDE ANYINSIDE NONEINSIDE (or eq ne gt lt gte lte), or ARRAY_WHERE_<op> on <array>.<field>; type string, number, boolean, date or object (a comma-separated list)"
    })),
    "filter_or[<i>][<field>][<op>][<type>]": Schema.optional(Schema.String.annotate({
      description: "An OR filter, repeatable: entries sharing the index i must all hold, and at least one index group must hold"
    })),
    sort: Schema.optional(Schema.String.annotate({ description: "Fields to sort by, comma separated, - for descending" })),
    limit: Schema.optional(Schema.String.annotate({ description: "At most this many records" })),
    offset: Schema.optional(Schema.String.annotate({ description: "Skip this many records" })),
    fields: Schema.optional(Schema.String.annotate({ description: "Only these fields (comma separated)" })),
    expand: Schema.optional(Schema.String.annotate({ description: "Reference fields to replace by the records they name" }))
  })
  const listAnswers = {
    400: error("The query is malformed, or a malformed Domain header (anonymous callers)"),
    401: error("Anonymous, and the collection's reads are not public"),
    403: error("Missing permission collections:read:<scope>"),
    404: error("The table name is not a collection name")
  } as const

  return [
    route({
      method: "GET",
      path: "/machhub/:table/all",
      tag: "data",
      summary: "The records of a collection, filtered, sorted and paged (a bare array)",
      access: anonymousAllowed,
      params: tableParam,
      query: ListQuery,
      responses: { 200: ok("The records", Schema.Array(Json)), ...listAnswers },
      handler: ({ request, principal }) => {
        const listing = plan(request, principal)
        if (!listing.ok) return listing.response
        if (listing.name === undefined) return json(200, [])
        const sql = toSql(listing.query, listing.name)
        const { domain, table, query } = listing
        const plain = query.fields === undefined && query.expand.length === 0
        // Expanded pages also depend on other collections, so only plain pages are cached.
        const cacheKey = plain ? `${sql.sql}\u0000${JSON.stringify(sql.params)}` : undefined
        const cached = cacheKey === undefined ? undefined : pages.get(collectionKey(domain, table), cacheKey)
        if (cached !== undefined) return { status: 200, contentType: "application/json; charset=utf-8", body: cached }
        const rows = prepared(sql.sql).all(...sql.params) as Array<RecordRow>
        if (cacheKey !== undefined) {
          // The hot path: splice stored JSON text, no parse/stringify per record.
          const body = `[${rows.map((row) => recordJson(domain, table, row)).join(",")}]`
          pages.set(collectionKey(domain, table), cacheKey, body)
          return { status: 200, contentType: "application/json; charset=utf-8", body }
        }
        const records = rows.map((row) => {
          const record = expandReferences(context.records, recordObject(domain, table, row), query.expand, domain, principal)
          return query.fields === undefined ? record : project(record, query.fields)
        })
        return json(200, records)
      }
    }),

    route({
      method: "GET",
      path: "/machhub/:table/count",
      tag: "data",
      summary: "How many records of a collection match the filters",
      access: anonymousAllowed,
      params: tableParam,
      query: ListQuery,
      responses: { 200: ok("The count", Schema.Struct({ count: Schema.Number })), ...listAnswers },
      handler: ({ request, principal }) => {
        const listing = plan(request, principal)
        if (!listing.ok) return listing.response
        if (listing.name === undefined) return json(200, { count: 0 })
        const sql = toSql(listing.query, listing.name).count
        const row = prepared(sql.sql).get(...sql.params) as { count?: number; n?: number } | undefined
        return json(200, { count: Number(Object.values(row ?? { n: 0 })[0] ?? 0) })
      }
    })
  ]
}

/**
 * A reference as `<domain>.<table>:<id>`: written as that string, or as the SDK's relation object
 * `{ "Table": "<domain>.<table>", "ID": "<id>" }` (SPEC §6a); undefined for anything else.
 */

/** The filter that limits a `self`-scope caller to the records it created. */
const ownRecords = (creator: string): Filter => ({
  field: { kind: "column", name: "_meta.creator", column: "creator" },
  op: "eq",
  type: "string",
  values: [creator]
})
