import { sqlInstant, sqlIsDate } from "./dates.js"
import { jsonPath } from "./fields.js"
import type { FieldRef, FieldType, Filter, ListQuery, RecordColumn } from "./ListQuery.js"
import { NEGATION_OF } from "./operators.js"
import { and, bound, type Cond, inList, not, or, raw, render, sql, type Sql } from "./sqlParts.js"
import { asciiLower, sqlWordText, wordNeedle } from "./text.js"
import { looseReadings } from "./values.js"

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
 * What a condition is built over: a field's value, an array element (a json_each row), or the value
 * at a path inside an element (ARRAY_WHERE). `value` is SQL for the value as json_extract gives it;
 * `jsonType` SQL for its json_type name, or the fixed type of a column; `path` SQL for its JSON path
 * into `data`, to iterate it with json_each (undefined where it cannot be an array). `indexed` marks a
 * field's own json_extract expression, which an expression index can serve.
 */
interface Operand {
  readonly value: string
  readonly jsonType: string | { readonly fixed: "text" | "integer" }
  readonly path: string | undefined
  readonly indexed: boolean
}

/**
 * The operand of a field. For data fields this is `json_extract(data, '$.a.b')` with the path as a
 * literal, the expression an index must be declared on (see indexableFields), which is what lets SQLite's
 * planner match the two. The path is safe to embed: fieldSegments admits only [A-Za-z0-9_.].
 * `hidden` writes `+json_extract(...)`: the same value, but no index can serve it (see toSql).
 */
const fieldOperand = (field: FieldRef, hidden = false, table?: string): Operand => {
  if (field.kind === "column") {
    // Qualified inside WHERE: a json_each subquery has an `id` column of its own that would shadow it.
    const value = table === undefined ? field.column : `${table}.${field.column}`
    return { value, jsonType: { fixed: COLUMN_TYPE[field.column] === "number" ? "integer" : "text" }, path: undefined, indexed: false }
  }
  const path = `'${jsonPath(field.path)}'`
  return { value: `${hidden ? "+" : ""}json_extract(data, ${path})`, jsonType: `json_type(data, ${path})`, path, indexed: !hidden }
}

/**
 * What building one WHERE clause shares: the quoted table name (to qualify record columns) and a
 * counter that names json_each aliases uniquely within the statement (they nest inside ARRAY_WHERE).
 */
interface Scope {
  readonly table: string
  next: number
}

/** Holds when some element of the array at `path` satisfies `body` (built over the element's operand). */
const someElement = (path: string, scope: Scope, body: (element: Operand, alias: string) => Cond): Cond => {
  const alias = `j${scope.next++}`
  const condition = body({ value: `${alias}.atom`, jsonType: `${alias}.type`, path: undefined, indexed: false }, alias)
  return condition === false ? false : sql`EXISTS (SELECT 1 FROM json_each(data, ${path}) AS ${alias} WHERE ${render(condition)})`
}

/** The operand has one of these json_type names; static for columns. */
const typeIs = (operand: Operand, names: ReadonlyArray<string>): Cond => {
  if (typeof operand.jsonType !== "string") return names.includes(operand.jsonType.fixed)
  return names.length === 1 ? raw(`${operand.jsonType} = '${names[0]}'`) : raw(`${operand.jsonType} IN (${names.map((n) => `'${n}'`).join(", ")})`)
}

type Scalar = Exclude<FieldType, "object">

/** Holds exactly when the operand has the (scalar) type. */
const hasType = (operand: Operand, type: Scalar): Cond => {
  switch (type) {
    case "string":
      return typeIs(operand, ["text"])
    case "number":
      return typeIs(operand, ["integer", "real"])
    case "boolean":
      return typeIs(operand, ["true", "false"])
    case "date":
      return and(typeIs(operand, ["text"]), raw(sqlIsDate(operand.value)))
  }
}

/** The operand as its type compares it (a date by its instant), and a typed value as SQL binds it. */
const comparable = (operand: Operand, type: Scalar): string => type === "date" ? sqlInstant(operand.value) : operand.value
const bindable = (type: FieldType, value: string | number | boolean): unknown =>
  type === "date" ? (value as number) / 1000 : typeof value === "boolean" ? (value ? 1 : 0) : value

/** The operand equals one of the values (typed, or by the readings of untyped texts). */
const equalsAny = (operand: Operand, type: FieldType, values: ReadonlyArray<string | number | boolean>): Cond => {
  if (type !== "object") return and(hasType(operand, type), inList(comparable(operand, type), values.map((v) => bindable(type, v))))
  const readings = values.map((v) => looseReadings(String(v)))
  const texts = readings.map((r) => r.text)
  const numbers = readings.flatMap((r) => (r.number === undefined ? [] : [r.number]))
  const booleans = readings.flatMap((r) => (r.boolean === undefined ? [] : [r.boolean ? 1 : 0]))
  const exact = or(
    and(typeIs(operand, ["text"]), inList(operand.value, texts)),
    and(typeIs(operand, ["integer", "real"]), inList(operand.value, numbers)),
    and(typeIs(operand, ["true", "false"]), inList(operand.value, booleans))
  )
  // Implied by `exact`; stated on the bare expression so an index can serve the lookup (needless when
  // only texts can match: `exact` is then a plain IN already).
  const mixed = numbers.length + booleans.length > 0
  return operand.indexed && mixed && exact !== false ? and(inList(operand.value, [...texts, ...numbers, ...booleans]), exact) : exact
}

/**
 * Holds when some value of a list bound as one JSON array satisfies `body` (built over `<alias>.value`).
 * Tests that take each value in turn loop over the list this way, so their SQL does not grow with it.
 */
const someValue = (list: ReadonlyArray<unknown>, scope: Scope, body: (value: string) => Cond): Cond => {
  const alias = `v${scope.next++}`
  const condition = body(`${alias}.value`)
  return condition === false ? false : sql`EXISTS (SELECT 1 FROM json_each(${bound(JSON.stringify(list))}) AS ${alias} WHERE ${render(condition)})`
}

/**
 * A list value as someValue binds it, and SQL reading it back: typed values as the type compares
 * them; an untyped text as `[text, number or null, 1/0 or null]`, its readings.
 */
const listEntry = (type: FieldType, value: string | number | boolean): unknown => {
  if (type !== "object") return bindable(type, value)
  const r = looseReadings(String(value))
  return [r.text, r.number ?? null, r.boolean === undefined ? null : r.boolean ? 1 : 0]
}
const entryText = (type: FieldType, entry: string): string => type === "object" ? `(${entry} ->> 0)` : entry

/** The element (a json_each row's operand) equals a list entry read back in SQL. */
const equalsEntry = (element: Operand, type: FieldType, entry: string): Cond => {
  if (type !== "object") return and(hasType(element, type), raw(`${comparable(element, type)} = ${entry}`))
  return or(
    and(typeIs(element, ["text"]), raw(`${element.value} = (${entry} ->> 0)`)),
    and(typeIs(element, ["integer", "real"]), raw(`${element.value} = (${entry} ->> 1)`)),
    and(typeIs(element, ["true", "false"]), raw(`${element.value} = (${entry} ->> 2)`))
  )
}

/** The operand holds the list entry: as a substring of a string (string-like values) or as an element. */
const holdsEntry = (operand: Operand, type: FieldType, entry: string, scope: Scope): Cond => or(
  type === "string" || type === "object" ? and(typeIs(operand, ["text"]), raw(`instr(${operand.value}, ${entryText(type, entry)}) > 0`)) : false,
  operand.path === undefined ? false : and(typeIs(operand, ["array"]), someElement(operand.path, scope, (element) => equalsEntry(element, type, entry)))
)

/** The operand holds one of the values: as a substring of a string (string-like values) or as an element. */
const holdsAny = (operand: Operand, type: FieldType, values: ReadonlyArray<string | number | boolean>, scope: Scope): Cond => {
  // instr compares bytes over the full length (LIKE/GLOB would stop at a NUL and treat % _ * ?).
  const inString = type !== "string" && type !== "object"
    ? false
    : values.length <= 1
    ? and(typeIs(operand, ["text"]), or(...values.map((v) => sql`instr(${operand.value}, ${bound(String(v))}) > 0`)))
    : and(typeIs(operand, ["text"]), someValue(values.map(String), scope, (needle) => raw(`instr(${operand.value}, ${needle}) > 0`)))
  const inArray = operand.path === undefined
    ? false
    : and(typeIs(operand, ["array"]), someElement(operand.path, scope, (element) => equalsAny(element, type, values)))
  return or(inString, inArray)
}

const COMPARISON = { gt: ">", lt: "<", gte: ">=", lte: "<=" } as const

/** The positive condition of an operator (negations are built as NOT of their twin). */
const opCond = (operand: Operand, filter: Pick<Filter, "op" | "type" | "values">, scope: Scope): Cond => {
  const { op, type, values } = filter
  const negated = NEGATION_OF[op]
  if (negated !== undefined) return not(opCond(operand, { op: negated, type, values }, scope))
  const first = values[0] ?? ""
  switch (op) {
    case "eq":
    case "in":
      return equalsAny(operand, type, values)
    case "gt":
    case "lt":
    case "gte":
    case "lte": {
      const scalar = type as Scalar
      const x = operand.value
      // Redundant bounds that close an index range around the right type: in SQLite's order every
      // number lies in [-9e999 (= -Infinity), ''), every text at or after ''. Implied by the type
      // check, so they change no result; they keep a range scan off other types and make the planner
      // rate it as selective (a one-sided range loses to scanning in id order without statistics).
      const lower = op === "gt" || op === "gte"
      const numeric = scalar === "number" || scalar === "boolean"
      const bounds = !operand.indexed
        ? []
        : [...(scalar === "string" && !lower ? [raw(`${x} >= ''`)] : []), ...(numeric && lower ? [raw(`${x} < ''`)] : []), ...(numeric && !lower ? [raw(`${x} >= -9e999`)] : [])]
      return and(hasType(operand, scalar), sql`${comparable(operand, scalar)} ${COMPARISON[op]} ${bound(bindable(type, first))}`, ...bounds)
    }
    case "fuzzy":
      return and(typeIs(operand, ["text"]), sql`instr(lower(${operand.value}), ${bound(asciiLower(String(first)))}) > 0`)
    case "text": {
      // The word text is built once per filter (it is long), with the words bound as one list.
      const text = sqlWordText(operand.value)
      const needles = values.map((word) => wordNeedle(String(word)))
      // A word of the text is a substring of the lower-cased text (the word text only turns
      // separators, which no word holds, into spaces): one instr rules out most rows before the
      // dozens of replace() calls that build the word text run.
      const likely = sql`instr(lower(${operand.value}), ${bound(String(values[0] ?? ""))}) > 0`
      return and(typeIs(operand, ["text"]), likely, needles.length === 1
        ? sql`instr(${text}, ${bound(needles[0])}) > 0`
        : not(someValue(needles, scope, (needle) => raw(`instr(${text}, ${needle}) = 0`))))
    }
    case "contains":
    case "containsAny":
      return holdsAny(operand, type, values, scope)
    case "containsAll":
      return and(typeIs(operand, ["text", "array"]), values.length <= 1
        ? and(...values.map((value) => holdsAny(operand, type, [value], scope)))
        : not(someValue(values.map((v) => listEntry(type, v)), scope, (entry) => not(holdsEntry(operand, type, entry, scope)))))
    case "allIn":
      return operand.path === undefined
        ? false
        : and(typeIs(operand, ["array"]), not(someElement(operand.path, scope, (element) => not(equalsAny(element, type, values)))))
    case "anyIn":
      return operand.path === undefined
        ? false
        : and(typeIs(operand, ["array"]), someElement(operand.path, scope, (element) => equalsAny(element, type, values)))
    default:
      throw new Error(`no SQL for operator ${op}`)
  }
}

const isRange = (filter: Filter): boolean => filter.op === "gt" || filter.op === "gte" || filter.op === "lt" || filter.op === "lte"

/**
 * The condition of one filter. ARRAY_WHERE: the first array on the path is at the first of its proper
 * prefixes whose json_type is array (a CASE picks it, so the SQL does not repeat per prefix); each of
 * its elements is tested at the rest of the path.
 */
const filterCond = (filter: Filter, scope: Scope, sortIndexFirst: boolean): Cond => {
  const field = filter.field
  if (filter.arrayWhere !== true || field.kind !== "data") {
    // See toSql on why a page sorted by another field should not range-scan this one's index.
    return opCond(fieldOperand(field, sortIndexFirst && isRange(filter) && field.kind === "data", scope.table), filter, scope)
  }
  const prefixes = field.path.slice(1).map((_, i) => `'${jsonPath(field.path.slice(0, i + 1))}'`)
  // NULL (no array on the path) makes json_each yield no rows.
  const arrayPath = `CASE ${prefixes.map((prefix) => `WHEN json_type(data, ${prefix}) = 'array' THEN ${prefix}`).join(" ")} END`
  return someElement(arrayPath, scope, (_, alias) => {
    // The element's own path, then the rest of the field's path after the array's (json_each's `path`).
    const path = `${alias}.fullkey || substr('${jsonPath(field.path)}', length(${alias}.path) + 1)`
    return opCond({ value: `json_extract(data, ${path})`, jsonType: `json_type(data, ${path})`, path, indexed: false }, filter, scope)
  })
}

/** The WHERE clause (with its leading space), or "" when every record matches. */
const whereClause = (query: ListQuery, table: string, sortIndexFirst: boolean): Sql => {
  const scope: Scope = { table, next: 0 }
  const each = (filter: Filter) => filterCond(filter, scope, sortIndexFirst)
  const condition = and(
    ...query.filters.map(each),
    query.anyOf.length === 0 ? true : or(...query.anyOf.map((group) => and(...group.map(each))))
  )
  return condition === true ? raw("") : sql` WHERE ${render(condition)}`
}

/**
 * Compiles a ListQuery into SQL over one collection's records table. Every value is bound; the only
 * query-derived text in the SQL is validated field paths and fixed keywords.
 */
export const toSql = (query: ListQuery, table: string): ListSql => {
  const from = `FROM ${quoteIdentifier(table)}`
  // A small page sorted by a data field: walking the sort field's index (in order) and testing the
  // filters row by row stops after `limit` matches, while range-scanning a filter's index first would
  // fetch and sort every match (tens of thousands for a broad range). Equality and IN filters stay
  // indexable: they are usually selective enough that their index wins. The count has no order and
  // keeps every index usable.
  const first = query.sort[0]
  const sortIndexFirst = first !== undefined && first.field.kind === "data" &&
    ![...query.filters, ...query.anyOf.flat()].some((f) => f.field.kind === "data" && f.field.name === first.field.name)
  const where = whereClause(query, quoteIdentifier(table), sortIndexFirst)
  const order = query.sort.map((key) => `${fieldOperand(key.field).value} ${key.direction === "asc" ? "ASC" : "DESC"}`)
  // The final tie-breaker, unless id is already a key (then the order is total and it adds nothing).
  // It runs in the direction of the last sort key, so an index on (field, id) serves a descending
  // page by scanning backwards instead of sorting every match.
  if (!query.sort.some((key) => key.field.kind === "column" && key.field.column === "id")) {
    order.push(query.sort[query.sort.length - 1]?.direction === "desc" ? "id DESC" : "id ASC")
  }
  const countWhere = whereClause(query, quoteIdentifier(table), false)
  return {
    sql: `SELECT id, data, creator, created, updated, version ${from}${where.sql} ORDER BY ${order.join(", ")} LIMIT ? OFFSET ?`,
    params: [...where.params, query.limit, query.offset],
    count: { sql: `SELECT count(*) AS count ${from}${countWhere.sql}`, params: countWhere.params }
  }
}

/** A filter that an index on its field's json_extract expression can answer. */
const indexable = (filter: Filter): boolean =>
  filter.field.kind === "data" && filter.arrayWhere !== true && filter.type !== "date" &&
  (filter.op === "eq" || filter.op === "in" || ((filter.type === "string" || filter.type === "number" || filter.type === "boolean") && isRange(filter)))

/**
 * The data fields (dotted, `address.city`) this query sorts on, or filters on in a way an index on
 * `json_extract(data, '$.address.city')` can serve: eq, in and ranges on string, number and boolean,
 * eq and in on untyped lists (not negations, contains-like or date filters, nor ARRAY_WHERE, which
 * such an index cannot answer). Fields of OR groups count only when every group has such a filter:
 * SQLite answers an OR from indexes only when each branch has one, else it scans anyway. The index
 * must be on exactly that expression; adding `id` after it (`(json_extract(...), id)`) also spares
 * the sort step of `ORDER BY <field> ASC, id ASC`.
 */
export const indexableFields = (query: ListQuery): Array<string> => {
  const paths = new Set<string>()
  for (const filter of query.filters) if (indexable(filter)) paths.add(filter.field.name)
  if (query.anyOf.every((group) => group.some(indexable))) {
    for (const group of query.anyOf) for (const filter of group) if (indexable(filter)) paths.add(filter.field.name)
  }
  for (const key of query.sort) if (key.field.kind === "data") paths.add(key.field.name)
  return [...paths]
}
