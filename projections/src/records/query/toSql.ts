import { sqlInstant, sqlIsDate } from "./dates.js"
import { jsonPath } from "./fields.js"
import type { FieldRef, FieldType, Filter, ListQuery, RecordColumn } from "./ListQuery.js"

/** One parameterized statement: user values are always in `params`, never in `sql`. */
export interface SqlStatement {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

/** The page query (selecting id, data, creator, created, updated, version) and its COUNT(*) twin. */
export interface ListSql extends SqlStatement {
  readonly count: SqlStatement
}

/** The JSON type of each column as the record shows it (`_meta.version` is a number, the rest text). */
const COLUMN_TYPE: Readonly<Record<RecordColumn, "string" | "number">> = {
  id: "string",
  creator: "string",
  created: "string",
  updated: "string",
  version: "number"
}

/**
 * A SQLite identifier, double-quoted. Table names come from the route (`<domain>.<table>`), not from
 * the query string, but are quoted anyway; a NUL cannot be quoted, so it is a programming error.
 */
export const quoteIdentifier = (name: string): string => {
  if (name.length === 0 || name.includes("\u0000")) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`)
  return `"${name.replaceAll("\"", "\"\"")}"`
}

/**
 * The SQL value of a field. For data fields this is `json_extract(data, '$.a.b')` with the path as a
 * literal, the expression an index must be declared on (see indexableFields), which is what lets SQLite's
 * planner match the two. The path is safe to embed: fieldSegments admits only [A-Za-z0-9_.].
 */
const valueSql = (field: FieldRef): string => field.kind === "column" ? field.column : `json_extract(data, '${jsonPath(field.path)}')`

/** SQL that holds exactly when the field has the filter's type; `true`/`false` when known statically. */
const typeGuard = (field: FieldRef, type: FieldType, x: string): string | boolean => {
  if (field.kind === "column") {
    const columnType = COLUMN_TYPE[field.column]
    if (type === "date") return columnType === "string" ? sqlIsDate(x) : false
    return columnType === type
  }
  const jsonType = `json_type(data, '${jsonPath(field.path)}')`
  switch (type) {
    case "string":
      return `${jsonType} = 'text'`
    case "number":
      return `${jsonType} IN ('integer', 'real')`
    case "boolean":
      return `${jsonType} IN ('true', 'false')`
    case "date":
      return `${jsonType} = 'text' AND ${sqlIsDate(x)}`
  }
}

const COMPARISON = { eq: "=", ne: "=", gt: ">", lt: "<", gte: ">=", lte: "<=" } as const

/** The WHERE term of one filter; pushes its bound values onto `params` in textual order. */
const filterSql = (filter: Filter, params: Array<unknown>, sortIndexFirst = false): string => {
  const range = filter.op === "gt" || filter.op === "gte" || filter.op === "lt" || filter.op === "lte"
  // `+x` is the same value but no index can serve it: see toSql on why a page sorted by another field
  // should walk that field's index rather than range-scan this one.
  const hideFromIndex = sortIndexFirst && range && filter.field.kind === "data"
  const x = hideFromIndex ? `+${valueSql(filter.field)}` : valueSql(filter.field)
  const guard = typeGuard(filter.field, filter.type, x)
  // A type the field can never have: eq-like filters match nothing, so ne matches everything.
  if (guard === false) return filter.op === "ne" ? "1" : "0"
  const lhs = filter.type === "date" ? sqlInstant(x) : x
  const bind = (value: string | number | boolean): string => {
    params.push(filter.type === "date" ? (value as number) / 1000 : typeof value === "boolean" ? (value ? 1 : 0) : value)
    return "?"
  }
  const terms = guard === true ? [] : [guard]
  switch (filter.op) {
    case "contains":
      // instr compares bytes over the full length (LIKE/GLOB would stop at a NUL and treat % _ * ?).
      terms.push(`instr(${x}, ${bind(filter.values[0] ?? "")}) > 0`)
      break
    case "in":
      terms.push(`${lhs} IN (${filter.values.map(bind).join(", ")})`)
      break
    default:
      terms.push(`${lhs} ${COMPARISON[filter.op]} ${bind(filter.values[0] ?? "")}`)
  }
  // Redundant bounds that close an index range around the right type: in SQLite's order every number
  // lies in [-9e999 (= -Infinity), ''), every text at or after ''. Implied by the guard, so they change
  // no result; they keep a range scan off other types and make the planner rate it as selective
  // (a one-sided range loses to scanning in id order without statistics).
  if (filter.field.kind === "data" && !hideFromIndex) {
    const lower = filter.op === "gt" || filter.op === "gte"
    const upper = filter.op === "lt" || filter.op === "lte"
    if (filter.type === "string" && upper) terms.push(`${x} >= ''`)
    if ((filter.type === "number" || filter.type === "boolean") && lower) terms.push(`${x} < ''`)
    if ((filter.type === "number" || filter.type === "boolean") && upper) terms.push(`${x} >= -9e999`)
  }
  const all = terms.join(" AND ")
  // ne is NOT eq, including where eq is NULL (json_type of a missing field is NULL): coalesce to false.
  return filter.op === "ne" ? `NOT coalesce((${all}), 0)` : `(${all})`
}

/**
 * Compiles a ListQuery into SQL over one collection's records table. Every value is bound; the only
 * query-derived text in the SQL is validated field paths and fixed keywords.
 */
export const toSql = (query: ListQuery, table: string): ListSql => {
  const from = `FROM ${quoteIdentifier(table)}`
  const params: Array<unknown> = []
  // A small page sorted by a data field: walking the sort field's index (in order) and testing the
  // filters row by row stops after `limit` matches, while range-scanning a filter's index first would
  // fetch and sort every match (tens of thousands for a broad range). Equality and IN filters stay
  // indexable: they are usually selective enough that their index wins. The count has no order and
  // keeps every index usable.
  const first = query.sort[0]
  const sortIndexFirst = first !== undefined && first.field.kind === "data" &&
    !query.filters.some((f) => f.field.kind === "data" && f.field.name === first.field.name)
  const whereOf = (forPage: boolean, into: Array<unknown>) =>
    query.filters.length === 0 ? "" : ` WHERE ${query.filters.map((filter) => filterSql(filter, into, forPage && sortIndexFirst)).join(" AND ")}`
  const where = whereOf(true, params)
  const order = query.sort.map((key) => `${valueSql(key.field)} ${key.direction === "asc" ? "ASC" : "DESC"}`)
  // The final tie-breaker, unless id is already a key (then the order is total and it adds nothing).
  // It runs in the direction of the last sort key, so an index on (field, id) serves a descending
  // page by scanning backwards instead of sorting every match.
  if (!query.sort.some((key) => key.field.kind === "column" && key.field.column === "id")) {
    order.push(query.sort[query.sort.length - 1]?.direction === "desc" ? "id DESC" : "id ASC")
  }
  return {
    sql: `SELECT id, data, creator, created, updated, version ${from}${where} ORDER BY ${order.join(", ")} LIMIT ? OFFSET ?`,
    params: [...params, query.limit, query.offset],
    count: (() => {
      const countParams: Array<unknown> = []
      return { sql: `SELECT count(*) AS count ${from}${whereOf(false, countParams)}`, params: countParams }
    })()
  }
}

/**
 * The data fields (dotted, `address.city`) this query sorts on, or filters on in a way an index on
 * `json_extract(data, '$.address.city')` can serve: eq, in and ranges on string, number and boolean
 * (not ne, contains or date filters, which such an index cannot answer). The index must be on exactly
 * that expression; adding `id` after it (`(json_extract(...), id)`) also spares the sort step of
 * `ORDER BY <field> ASC, id ASC`.
 */
export const indexableFields = (query: ListQuery): Array<string> => {
  const paths = new Set<string>()
  for (const filter of query.filters) {
    if (filter.field.kind === "data" && filter.type !== "date" && filter.op !== "ne" && filter.op !== "contains") paths.add(filter.field.name)
  }
  for (const key of query.sort) if (key.field.kind === "data") paths.add(key.field.name)
  return [...paths]
}
