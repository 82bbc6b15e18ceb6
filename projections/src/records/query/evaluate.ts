import { isoInstantMs } from "./dates.js"
import { lookupPath } from "./fields.js"
import type { FieldRef, Filter, ListQuery, ParsedRecordRow } from "./ListQuery.js"
import { compareText } from "./values.js"

/** The page of a query evaluated in memory: ids in order, and how many records matched in total. */
export interface EvaluatedPage {
  readonly ids: ReadonlyArray<string>
  readonly count: number
}

const fieldValue = (row: ParsedRecordRow, field: FieldRef): unknown => field.kind === "column" ? row[field.column] : lookupPath(row.data, field.path)

/**
 * The field's value as the filter's type sees it (string, number, 0/1, or epoch ms), or undefined when
 * the field does not have that type (missing, null or another JSON type never matches eq).
 */
const asType = (value: unknown, type: Filter["type"]): string | number | undefined => {
  switch (type) {
    case "string":
      return typeof value === "string" ? value : undefined
    case "number":
      return typeof value === "number" ? value : undefined
    case "boolean":
      return typeof value === "boolean" ? Number(value) : undefined
    case "date":
      return typeof value === "string" ? isoInstantMs(value) : undefined
  }
}

const compareTyped = (a: string | number, b: string | number): number =>
  typeof a === "string" && typeof b === "string" ? compareText(a, b) : a < b ? -1 : a > b ? 1 : 0

const matches = (row: ParsedRecordRow, filter: Filter): boolean => {
  const value = asType(fieldValue(row, filter.field), filter.type)
  const wanted = filter.values.map((v) => typeof v === "boolean" ? Number(v) : v)
  const first = wanted[0] ?? ""
  if (filter.op === "ne") return value === undefined || compareTyped(value, first) !== 0
  if (value === undefined) return false
  switch (filter.op) {
    case "eq":
      return compareTyped(value, first) === 0
    case "gt":
      return compareTyped(value, first) > 0
    case "lt":
      return compareTyped(value, first) < 0
    case "gte":
      return compareTyped(value, first) >= 0
    case "lte":
      return compareTyped(value, first) <= 0
    case "in":
      return wanted.some((v) => compareTyped(value, v) === 0)
    case "contains":
      return typeof value === "string" && value.includes(String(first))
  }
}

/**
 * A field's value as SQLite's `json_extract` hands it to ORDER BY: undefined for missing or null, a
 * number for numbers and booleans (1/0), and text for strings and for objects and arrays (their compact
 * JSON text, which is what json_extract returns for them).
 */
const sortValue = (value: unknown): string | number | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value === "boolean") return Number(value)
  if (typeof value === "number" || typeof value === "string") return value
  return JSON.stringify(value)
}

/** SQLite's order of those values: NULL, then numbers by value, then text by code point. */
const compareSortValues = (a: string | number | undefined, b: string | number | undefined): number => {
  const rank = (v: string | number | undefined): number => v === undefined ? 0 : typeof v === "number" ? 1 : 2
  return rank(a) - rank(b) || (a === undefined || b === undefined ? 0 : compareTyped(a, b))
}

/**
 * The plain in-memory reading of a ListQuery (semantics in ListQuery.ts), the reference that `toSql`
 * is tested against; also usable where records are already in memory.
 */
export const evaluate = (rows: ReadonlyArray<ParsedRecordRow>, query: ListQuery): EvaluatedPage => {
  const matching = rows.filter((row) => query.filters.every((filter) => matches(row, filter)))
  const keyed = matching.map((row) => ({ id: row.id, keys: query.sort.map((key) => sortValue(fieldValue(row, key.field))) }))
  keyed.sort((a, b) => {
    for (let i = 0; i < query.sort.length; i++) {
      const order = compareSortValues(a.keys[i], b.keys[i])
      if (order !== 0) return query.sort[i]?.direction === "desc" ? -order : order
    }
    const tie = compareText(a.id, b.id)
    return query.sort[query.sort.length - 1]?.direction === "desc" ? -tie : tie
  })
  return { ids: keyed.slice(query.offset, query.offset + query.limit).map((row) => row.id), count: matching.length }
}
