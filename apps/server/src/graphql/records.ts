import type Database from "better-sqlite3"
import { GraphQLError } from "graphql"
import { DEFAULT_ACCESS } from "@machhub/core"
import { parseListQuery, QueryError, recordObject, toSql, type Filter, type ListQuery, type RecordRow, type RecordsReadModel } from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"
import { collectionAccess } from "../data/collectionAccess.js"

/** The `where` operators records take, as the list query spells them. */
const OPERATORS: Readonly<Record<string, string>> = { _eq: "=", _neq: "!=", _gt: ">", _gte: ">=", _lt: "<", _lte: "<=", _in: "IN", _nin: "NOT IN" }

export interface RecordsArgs {
  readonly collection: string
  readonly where?: Record<string, unknown> | null
  readonly limit?: number | null
  readonly offset?: number | null
  readonly order_by?: ReadonlyArray<Record<string, "asc" | "desc">> | null
}

const bad = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } })

const typeOf = (value: unknown): string => (typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string")

/** `where` as list-query parameters: field comparisons, all of which must hold (`_and` nests more of them). */
const addWhere = (params: URLSearchParams, where: Record<string, unknown>): void => {
  for (const [field, clause] of Object.entries(where)) {
    if (field === "_and" && Array.isArray(clause)) {
      for (const part of clause) if (typeof part === "object" && part !== null) addWhere(params, part as Record<string, unknown>)
      continue
    }
    if (field.startsWith("_")) throw bad(`records: ${field} is not supported in where; combine comparisons in one object (all must hold) or with _and`)
    if (typeof clause !== "object" || clause === null || Array.isArray(clause)) throw bad(`records: where.${field} must be an object of comparisons`)
    for (const [op, value] of Object.entries(clause)) {
      const spelled = OPERATORS[op]
      if (spelled === undefined) throw bad(`records: ${op} is not supported on records; use ${Object.keys(OPERATORS).join(" ")}`)
      if (op === "_in" || op === "_nin") {
        if (!Array.isArray(value) || value.length === 0) throw bad(`records: where.${field}.${op} must be a non-empty list`)
        params.append(`filter[${field}][${spelled}][${typeOf(value[0])}]`, value.map(String).join(","))
      } else {
        if (value === null || typeof value === "object") throw bad(`records: where.${field}.${op} must be a string, number or boolean`)
        params.append(`filter[${field}][${spelled}][${typeOf(value)}]`, String(value))
      }
    }
  }
}

/** The filter that limits a `self`-scope caller to the records it created (as GET /machhub/<table>/all does). */
const ownRecords = (creator: string): Filter => ({ field: { kind: "column", name: "_meta.creator", column: "creator" }, op: "eq", type: "string", values: [creator] })

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * The records of one collection of the caller's domain, with exactly the access of `GET
 * /machhub/<table>/all`: the collections permission or the collection's public read, a `self` scope
 * seeing only the caller's own records.
 */
export const readRecords = (db: Database.Database, records: RecordsReadModel, principal: Principal, args: RecordsArgs): Array<Record<string, unknown>> => {
  const table = args.collection
  if (!TABLE_NAME.test(table)) throw bad(`records: ${JSON.stringify(table.slice(0, 64))} is not a collection name`)
  const access = collectionAccess(principal, records.collection(principal.domain, table)?.access ?? DEFAULT_ACCESS, "read")
  if (!access.allowed) throw new GraphQLError(access.message, { extensions: { code: "FORBIDDEN" } })
  const params = new URLSearchParams()
  if (args.where != null) addWhere(params, args.where)
  const order = (args.order_by ?? []).flatMap((clause) => Object.entries(clause).map(([field, direction]) => (direction === "desc" ? `-${field}` : field)))
  if (order.length > 0) params.set("sort", order.join(","))
  if (args.limit != null) params.set("limit", String(Math.max(0, args.limit)))
  if (args.offset != null) params.set("offset", String(Math.max(0, args.offset)))
  const parsed = parseListQuery(params)
  if (parsed instanceof QueryError) throw bad(`records: ${parsed.message}`)
  const query: ListQuery = access.onlyCreator === undefined ? parsed : { ...parsed, filters: [...parsed.filters, ownRecords(access.onlyCreator)] }
  const name = records.tables.find(principal.domain, table)
  if (name === undefined) return []
  const sql = toSql(query, name)
  return (db.prepare(sql.sql).all(...sql.params) as Array<RecordRow>).map((row) => recordObject(principal.domain, table, row))
}
