import { GraphQLBoolean, GraphQLEnumType, GraphQLInputObjectType, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLString, type GraphQLInputFieldConfigMap } from "graphql"

/** Hasura-style comparison of a text field (MachineMetrics' `where` operators). */
export const StringComparison = new GraphQLInputObjectType({
  name: "StringComparison",
  description: "Compares a text field: _eq _neq _gt _gte _lt _lte _in _nin _is_null _like (% any run, _ any one character)",
  fields: {
    _eq: { type: GraphQLString },
    _neq: { type: GraphQLString },
    _gt: { type: GraphQLString },
    _gte: { type: GraphQLString },
    _lt: { type: GraphQLString },
    _lte: { type: GraphQLString },
    _in: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    _nin: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    _is_null: { type: GraphQLBoolean },
    _like: { type: GraphQLString }
  }
})

export const OrderDirection = new GraphQLEnumType({ name: "order_by", values: { asc: { value: "asc" }, desc: { value: "desc" } } })

type Comparison = Partial<Record<"_eq" | "_neq" | "_gt" | "_gte" | "_lt" | "_lte" | "_like", string | null>> & {
  _in?: ReadonlyArray<string> | null
  _nin?: ReadonlyArray<string> | null
  _is_null?: boolean | null
}
type Where = Record<string, unknown>

/** `where`, `order_by` and `distinct_on` input types of a list whose rows have these text fields. */
export const listInputs = (name: string, fields: ReadonlyArray<string>) => {
  const whereType: GraphQLInputObjectType = new GraphQLInputObjectType({
    name: `${name}WhereClause`,
    fields: (): GraphQLInputFieldConfigMap => ({
      ...Object.fromEntries(fields.map((field) => [field, { type: StringComparison }])),
      _and: { type: new GraphQLList(new GraphQLNonNull(whereType)) },
      _or: { type: new GraphQLList(new GraphQLNonNull(whereType)) },
      _not: { type: whereType }
    })
  })
  const orderType = new GraphQLInputObjectType({
    name: `${name}OrderByClause`,
    fields: Object.fromEntries(fields.map((field) => [field, { type: OrderDirection }]))
  })
  const fieldEnum = new GraphQLEnumType({ name: `${name}Field`, values: Object.fromEntries(fields.map((field) => [field, { value: field }])) })
  return {
    where: { type: whereType },
    limit: { type: GraphQLInt },
    offset: { type: GraphQLInt },
    order_by: { type: new GraphQLList(new GraphQLNonNull(orderType)) },
    distinct_on: { type: new GraphQLList(new GraphQLNonNull(fieldEnum)) }
  }
}

/**
 * SQL LIKE on text: `%` any run, `_` any one character, case-sensitive. Matched by the two-pointer
 * wildcard walk (at most length × pattern steps), never a regular expression built from input.
 */
const like = (value: string, pattern: string): boolean => {
  const v = [...value]
  const p = [...pattern]
  let i = 0
  let j = 0
  let star = -1
  let mark = 0
  while (i < v.length) {
    if (j < p.length && (p[j] === "_" || (p[j] !== "%" && p[j] === v[i]))) {
      i++
      j++
    } else if (j < p.length && p[j] === "%") {
      star = j++
      mark = i
    } else if (star !== -1) {
      j = star + 1
      i = ++mark
    } else return false
  }
  while (j < p.length && p[j] === "%") j++
  return j === p.length
}

const compare = (value: string | null | undefined, c: Comparison): boolean => {
  const v = value ?? null
  if (c._is_null !== undefined && c._is_null !== null && (v === null) !== c._is_null) return false
  if (c._eq != null && v !== c._eq) return false
  if (c._neq != null && v === c._neq) return false
  if (c._gt != null && !(v !== null && v > c._gt)) return false
  if (c._gte != null && !(v !== null && v >= c._gte)) return false
  if (c._lt != null && !(v !== null && v < c._lt)) return false
  if (c._lte != null && !(v !== null && v <= c._lte)) return false
  if (c._in != null && !(v !== null && c._in.includes(v))) return false
  if (c._nin != null && v !== null && c._nin.includes(v)) return false
  if (c._like != null && !(v !== null && like(v, c._like))) return false
  return true
}

/** Whether a row matches a `where` clause (absent: every row). */
export const matches = (row: Record<string, unknown>, where: Where | null | undefined): boolean => {
  if (where == null) return true
  for (const [key, clause] of Object.entries(where)) {
    if (clause == null) continue
    if (key === "_and") {
      if (!(clause as Array<Where>).every((w) => matches(row, w))) return false
    } else if (key === "_or") {
      if (!(clause as Array<Where>).some((w) => matches(row, w))) return false
    } else if (key === "_not") {
      if (matches(row, clause as Where)) return false
    } else {
      const value = row[key]
      if (!compare(typeof value === "string" ? value : value == null ? null : String(value), clause as Comparison)) return false
    }
  }
  return true
}

export interface ListArgs {
  readonly where?: Where | null
  readonly limit?: number | null
  readonly offset?: number | null
  readonly order_by?: ReadonlyArray<Record<string, "asc" | "desc">> | null
  readonly distinct_on?: ReadonlyArray<string> | null
}

/** Applies where, distinct_on (the first row of each distinct value, after ordering), order_by, offset and limit. */
export const applyListArgs = <R extends Record<string, unknown>>(rows: ReadonlyArray<R>, args: ListArgs): Array<R> => {
  let out = rows.filter((row) => matches(row, args.where))
  const order = args.order_by ?? []
  if (order.length > 0) {
    out = [...out].sort((a, b) => {
      for (const clause of order) {
        for (const [field, direction] of Object.entries(clause)) {
          const x = a[field] == null ? "" : String(a[field])
          const y = b[field] == null ? "" : String(b[field])
          if (x !== y) return (x < y ? -1 : 1) * (direction === "desc" ? -1 : 1)
        }
      }
      return 0
    })
  }
  if (args.distinct_on != null && args.distinct_on.length > 0) {
    const seen = new Set<string>()
    out = out.filter((row) => {
      const key = JSON.stringify(args.distinct_on!.map((field) => row[field] ?? null))
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }
  const offset = Math.max(0, args.offset ?? 0)
  const limit = args.limit == null ? undefined : Math.max(0, args.limit)
  return out.slice(offset, limit === undefined ? undefined : offset + limit)
}
