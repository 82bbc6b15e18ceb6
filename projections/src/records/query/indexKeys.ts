import type { Filter, ListQuery } from "./ListQuery.js"
import { indexableFields } from "./toSql.js"

/** A plain equality on one typed value: its field is a fixed prefix of any index that serves the page. */
const equality = (filter: Filter): boolean =>
  filter.field.kind === "data" && filter.arrayWhere !== true && filter.values.length === 1 &&
  (filter.op === "eq" || filter.op === "in") && (filter.type === "string" || filter.type === "number" || filter.type === "boolean")

const isRange = (filter: Filter): boolean => filter.op === "gt" || filter.op === "gte" || filter.op === "lt" || filter.op === "lte"

/**
 * The composite index that answers a filtered, sorted page by one seek: the fields of the query's
 * plain equalities (by name, so the same index serves them in any order), then its data sort keys (or,
 * unsorted, the field of a range), e.g. `category,price` for `category = ? AND price < ? ORDER BY price
 * DESC`. SQLite then walks exactly the matching rows already in page order and stops after `limit`,
 * where one-field indexes leave it fetching every row of the equality and sorting them (all 200,000 of
 * one category in a million). Undefined when there is no such pair. Comma-joined dotted names.
 */
export const compositeIndexKey = (query: ListQuery): string | undefined => {
  const prefix = [...new Set(query.filters.filter(equality).map((filter) => filter.field.name))].sort()
  const order: Array<string> = []
  for (const key of query.sort) {
    if (key.field.kind !== "data") break
    if (!prefix.includes(key.field.name) && !order.includes(key.field.name)) order.push(key.field.name)
  }
  if (query.sort.length === 0) {
    const range = query.filters.find((filter) => filter.field.kind === "data" && filter.arrayWhere !== true && isRange(filter) &&
      filter.type !== "date" && !prefix.includes(filter.field.name))
    if (range !== undefined) order.push(range.field.name)
  }
  return prefix.length === 0 || order.length === 0 ? undefined : [...prefix, ...order].join(",")
}

/**
 * Every index a query can use (RecordTables.ensureIndex keys): one per field of indexableFields, and
 * the composite one when the query has equalities plus a sort or range.
 */
export const indexKeys = (query: ListQuery): Array<string> => {
  const composite = compositeIndexKey(query)
  return composite === undefined ? indexableFields(query) : [...indexableFields(query), composite]
}
