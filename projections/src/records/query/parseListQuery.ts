import { fieldSegments, resolveField } from "./fields.js"
import type { FieldType, Filter, FilterOp, ListQuery, SortKey } from "./ListQuery.js"
import { QueryError } from "./QueryError.js"
import { parseTypedValue, show } from "./values.js"

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000
export const MAX_OFFSET = 1_000_000
const MAX_FILTERS = 32
const MAX_SORTS = 8
const MAX_IN_VALUES = 100
const MAX_LIST_ENTRIES = 64

const OPS: Readonly<Record<string, FilterOp>> = {
  "=": "eq",
  eq: "eq",
  "!=": "ne",
  ne: "ne",
  ">": "gt",
  gt: "gt",
  "<": "lt",
  lt: "lt",
  ">=": "gte",
  gte: "gte",
  "<=": "lte",
  lte: "lte",
  contains: "contains",
  in: "in"
}
const TYPES: ReadonlyArray<FieldType> = ["string", "number", "boolean", "date"]

const FILTER_KEY = /^filter\[([^[\]]*)\]\[([^[\]]*)\]\[([^[\]]*)\]$/
/**
 * `filter[a][>=][number]=5` sent without percent-encoding the `=` splits at that `=`, into the key
 * `filter[a][>` and the value `][number]=5`; this rejoins it (the split was at the first `=`, so
 * key + "=" + value is the original text).
 */
const SPLIT_FILTER_KEY = /^filter\[[^[\]]*\]\[[!<>]?$/
const REJOINED_FILTER = /^(filter\[[^[\]]*\]\[[^[\]]*\]\[[^[\]]*\])(?:=([\s\S]*))?$/

/** Names a parameter in an error message: as-is when short printable ASCII, else quoted and cut. */
const label = (name: string): string => (/^[\x21-\x7e]{1,80}$/.test(name) ? name : show(name))

const fail = (parameter: string, problem: string): QueryError => new QueryError({ message: `${label(parameter)}: ${problem}` })

/**
 * Parses the list query string of `GET /machhub/<table>/all` (and `/count`) into a ListQuery, or the
 * QueryError that the route answers as 400. Every parameter is checked: an unknown name (a typo such as
 * `fliter[...]` or `lmit`) is refused rather than silently ignored, since ignoring it would widen the
 * query. `asOf` is the route's business and passes through untouched.
 */
export const parseListQuery = (params: URLSearchParams): ListQuery | QueryError => {
  const filters: Array<Filter> = []
  const sort: Array<SortKey> = []
  let limit: number | undefined
  let offset: number | undefined
  let fields: Array<string> | undefined
  const expand: Array<string> = []

  for (const [rawKey, rawValue] of params) {
    let key = rawKey
    let value = rawValue
    if (key === "asOf") continue
    if (key === "limit" || key === "offset") {
      if ((key === "limit" ? limit : offset) !== undefined) return fail(key, "given more than once")
      const max = key === "limit" ? MAX_LIMIT : MAX_OFFSET
      const n = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN
      if (!(n <= max)) return fail(key, `${show(value)} is not a whole number from 0 to ${max}`)
      if (key === "limit") limit = n
      else offset = n
      continue
    }
    if (key === "sort") {
      if (sort.length === MAX_SORTS) return fail(key, `at most ${MAX_SORTS} sort keys`)
      const parsed = parseSort(value)
      if (parsed instanceof QueryError) return parsed
      sort.push(parsed)
      continue
    }
    if (key === "fields" || key === "expand") {
      const target = key === "fields" ? (fields ??= []) : expand
      for (const name of value.split(",")) {
        // `fields` may name id and _meta (kept anyway); expand follows references in data only.
        const checked = key === "fields" && fieldSegments(name) !== undefined ? undefined : resolveField(name)
        if (typeof checked === "string") return fail(key, `${show(name)} ${checked}`)
        if (checked?.kind === "column") return fail(key, `${show(name)} is reserved (only fields of the record can be expanded)`)
        if (!target.includes(name)) target.push(name)
        if (target.length > MAX_LIST_ENTRIES) return fail(key, `at most ${MAX_LIST_ENTRIES} names`)
      }
      continue
    }
    if (key.startsWith("filter")) {
      if (SPLIT_FILTER_KEY.test(key) && value.startsWith("]")) {
        const rejoined = REJOINED_FILTER.exec(`${key}=${value}`)
        if (rejoined !== null) {
          key = rejoined[1] as string
          value = rejoined[2] ?? ""
        }
      }
      if (filters.length === MAX_FILTERS) return fail(key, `at most ${MAX_FILTERS} filters`)
      const parsed = parseFilter(key, value)
      if (parsed instanceof QueryError) return parsed
      filters.push(parsed)
      continue
    }
    return fail(key, "unknown query parameter (known: filter[<field>][<op>][<type>], sort, limit, offset, fields, expand)")
  }
  return { filters, sort, limit: limit ?? DEFAULT_LIMIT, offset: offset ?? 0, fields, expand }
}

const parseFilter = (key: string, raw: string): Filter | QueryError => {
  const m = FILTER_KEY.exec(key)
  if (m === null) return fail(key, "malformed filter, expected filter[<field>][<op>][<type>]")
  const [, name = "", opName = "", typeName = ""] = m
  const field = resolveField(name)
  if (typeof field === "string") return fail(key, `${show(name)} ${field}`)
  const lowerOp = opName.toLowerCase()
  const op = Object.hasOwn(OPS, lowerOp) ? OPS[lowerOp] : undefined
  if (op === undefined) return fail(key, `unknown operator ${show(opName)} (= != > < >= <= contains in, or eq ne gt lt gte lte)`)
  const type = TYPES.find((t) => t === typeName.toLowerCase())
  if (type === undefined) return fail(key, `unknown type ${show(typeName)} (string, number, boolean or date)`)
  if (op === "contains" && type !== "string") return fail(key, "contains only applies to type string")
  const texts = op === "in" ? raw.split(",") : [raw]
  if (texts.length > MAX_IN_VALUES) return fail(key, `at most ${MAX_IN_VALUES} values in an in list`)
  const values: Array<string | number | boolean> = []
  for (const text of texts) {
    const parsed = parseTypedValue(type, text)
    if ("problem" in parsed) return fail(key, parsed.problem)
    values.push(parsed.value)
  }
  return { field, op, type, values }
}

/** `[field][asc|desc]`, `[field]`, `field` (ascending) or `-field` (descending). */
const parseSort = (raw: string): SortKey | QueryError => {
  const bracketed = /^\[([^[\]]*)\](?:\[([^[\]]*)\])?$/.exec(raw)
  const name = bracketed !== null ? bracketed[1] ?? "" : raw.startsWith("-") ? raw.slice(1) : raw
  const directionName = bracketed !== null ? (bracketed[2] ?? "asc").toLowerCase() : raw.startsWith("-") ? "desc" : "asc"
  if (directionName !== "asc" && directionName !== "desc") return fail("sort", `${show(bracketed?.[2] ?? "")} is not asc or desc`)
  const field = resolveField(name)
  if (typeof field === "string") return fail("sort", `${show(name)} ${field}`)
  return { field, direction: directionName }
}
