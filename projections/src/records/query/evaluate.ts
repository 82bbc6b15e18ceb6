import { isoInstantMs } from "./dates.js"
import { lookupPath } from "./fields.js"
import type { FieldRef, FieldType, Filter, FilterOp, ListQuery, ParsedRecordRow } from "./ListQuery.js"
import { NEGATION_OF } from "./operators.js"
import { asciiLower, words } from "./text.js"
import { compareText, looseReadings } from "./values.js"

/** The page of a query evaluated in memory: ids in order, and how many records matched in total. */
export interface EvaluatedPage {
  readonly ids: ReadonlyArray<string>
  readonly count: number
}

const fieldValue = (row: ParsedRecordRow, field: FieldRef): unknown => field.kind === "column" ? row[field.column] : lookupPath(row.data, field.path)

/**
 * A value as the filter's (scalar) type sees it (string, number, 0/1, or epoch ms), or undefined when
 * it does not have that type (missing, null or another JSON type never equals anything).
 */
const asType = (value: unknown, type: Exclude<FieldType, "object">): string | number | undefined => {
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

/** A test of one value (a field's, or an array element's) against a filter's op and values. */
type ValueTest = (value: unknown) => boolean

/** "x equals one of the values": typed, or (type object) by any reading of the untyped texts. */
const equalsAnyTest = (type: FieldType, values: ReadonlyArray<string | number | boolean>): ValueTest => {
  if (type === "object") {
    const readings = values.map((v) => looseReadings(String(v)))
    return (x) => readings.some((r) => (typeof x === "string" ? x === r.text : typeof x === "number" ? x === r.number : typeof x === "boolean" && x === r.boolean))
  }
  const wanted = values.map((v) => (typeof v === "boolean" ? Number(v) : v))
  return (x) => {
    const v = asType(x, type)
    return v !== undefined && wanted.some((w) => compareTyped(v, w) === 0)
  }
}

const compileTest = (op: FilterOp, type: FieldType, values: ReadonlyArray<string | number | boolean>): ValueTest => {
  const negated = NEGATION_OF[op]
  if (negated !== undefined) {
    const positive = compileTest(negated, type, values)
    return (value) => !positive(value)
  }
  const equalsAny = equalsAnyTest(type, values)
  // "x holds each/any of the values": a substring of a string (string-like values only), or an element.
  const holds = (x: unknown, wanted: ReadonlyArray<string | number | boolean>, elementEquals: ValueTest): boolean =>
    typeof x === "string"
      ? (type === "string" || type === "object") && wanted.some((w) => x.includes(String(w)))
      : Array.isArray(x) && x.some(elementEquals)
  const first = values[0] ?? ""
  switch (op) {
    case "eq":
    case "in":
      return equalsAny
    case "gt":
    case "lt":
    case "gte":
    case "lte": {
      const scalar = type as Exclude<FieldType, "object">
      const wanted = typeof first === "boolean" ? Number(first) : first
      const holdsFor = { gt: (c: number) => c > 0, lt: (c: number) => c < 0, gte: (c: number) => c >= 0, lte: (c: number) => c <= 0 }[op]
      return (value) => {
        const v = asType(value, scalar)
        return v !== undefined && holdsFor(compareTyped(v, wanted))
      }
    }
    case "fuzzy": {
      const needle = asciiLower(String(first))
      return (value) => typeof value === "string" && asciiLower(value).includes(needle)
    }
    case "text":
      return (value) => {
        if (typeof value !== "string") return false
        const own = new Set(words(value))
        return values.every((word) => own.has(String(word)))
      }
    case "contains":
    case "containsAny":
      return (value) => holds(value, values, equalsAny)
    case "containsAll": {
      const each = values.map((w) => ({ w, equals: equalsAnyTest(type, [w]) }))
      return (value) => (typeof value === "string" || Array.isArray(value)) && each.every(({ w, equals }) => holds(value, [w], equals))
    }
    case "allIn":
      return (value) => Array.isArray(value) && value.every(equalsAny)
    case "anyIn":
      return (value) => Array.isArray(value) && value.some(equalsAny)
    default:
      throw new Error(`no test for operator ${op}`)
  }
}

/**
 * A filter as a test of a row: of the field's value, or (ARRAY_WHERE) of some element of the first
 * array on the path, at the rest of the path.
 */
const compileFilter = (filter: Filter): ((row: ParsedRecordRow) => boolean) => {
  const test = compileTest(filter.op, filter.type, filter.values)
  const field = filter.field
  if (filter.arrayWhere !== true || field.kind !== "data") return (row) => test(fieldValue(row, field))
  return (row) => {
    let value: unknown = row.data
    for (let split = 1; split < field.path.length; split++) {
      value = lookupPath(value, field.path.slice(split - 1, split))
      if (Array.isArray(value)) {
        const rest = field.path.slice(split)
        return value.some((element) => test(lookupPath(element, rest)))
      }
      if (value === undefined) return false
    }
    return false
  }
}

/** The whole WHERE of a query as a test of a row: every filter, and some OR group when there are any. */
const compileWhere = (query: ListQuery): ((row: ParsedRecordRow) => boolean) => {
  const all = query.filters.map(compileFilter)
  const groups = query.anyOf.map((group) => group.map(compileFilter))
  return (row) => all.every((test) => test(row)) && (groups.length === 0 || groups.some((group) => group.every((test) => test(row))))
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
  const where = compileWhere(query)
  const matching = rows.filter(where)
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
