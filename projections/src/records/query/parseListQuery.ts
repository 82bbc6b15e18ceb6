import { fieldSegments, resolveField } from "./fields.js"
import type { FieldType, Filter, ListQuery, SortKey } from "./ListQuery.js"
import { KNOWN_OPERATORS, LIST_OPERATORS, OPERATOR_SPELLINGS, typeProblem, UNSUPPORTED_OPERATORS } from "./operators.js"
import { QueryError } from "./QueryError.js"
import { words } from "./text.js"
import { MAX_VALUE_LENGTH, parseTypedValue, show } from "./values.js"

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000
export const MAX_OFFSET = 1_000_000
const MAX_FILTERS = 32
const MAX_SORTS = 8
const MAX_LIST_VALUES = 100
/** All list values of a query: each is a bound SQL value (or a few), and SQLite allows 32,766 per statement. */
const MAX_TOTAL_VALUES = 1000
const MAX_LIST_ENTRIES = 64
const MAX_OR_FILTERS = 64
const MAX_TEXT_WORDS = 16
const MAX_TEXT_FILTERS = 8
const TYPES: ReadonlyArray<FieldType> = ["string", "number", "boolean", "date", "object"]

const FILTER_KEY = /^filter\[([^[\]]*)\]\[([^[\]]*)\]\[([^[\]]*)\]$/
const OR_FILTER_KEY = /^filter_or\[([^[\]]*)\](\[[^[\]]*\]\[[^[\]]*\]\[[^[\]]*\])$/
/**
 * `filter[a][>=][number]=5` sent without percent-encoding the `=` splits at that `=`, into the key
 * `filter[a][>` and the value `][number]=5` (`==` leaves `filter[a][` and `=][number]=5`); a key that
 * stops inside its operator bracket is rejoined (the split was at the first `=`, so key + "=" + value
 * is the original text).
 */
const SPLIT_FILTER_KEY = /^filter(?:_or\[[^[\]]*\])?\[[^[\]]*\]\[[^[\]]*$/
const REJOINED_FILTER = /^(filter(?:_or\[[^[\]]*\])?\[[^[\]]*\]\[[^[\]]*\]\[[^[\]]*\])(?:=([\s\S]*))?$/
const ARRAY_WHERE = "array_where_"

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
  // filter_or entries by group index, in the order the groups first appear.
  const groups = new Map<number, Array<Filter>>()
  let orCount = 0

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
      if (SPLIT_FILTER_KEY.test(key)) {
        const rejoined = REJOINED_FILTER.exec(`${key}=${value}`)
        if (rejoined !== null) {
          key = rejoined[1] as string
          value = rejoined[2] ?? ""
        }
      }
      if (key.startsWith("filter_or")) {
        const m = OR_FILTER_KEY.exec(key)
        if (m === null) return fail(key, "malformed filter, expected filter_or[<i>][<field>][<op>][<type>]")
        const index = m[1] as string
        if (!/^\d{1,6}$/.test(index)) return fail(key, `the group index ${show(index)} is not a whole number`)
        if (orCount === MAX_OR_FILTERS) return fail(key, `at most ${MAX_OR_FILTERS} filter_or entries`)
        orCount++
        const parsed = parseFilter(key, `filter${m[2] as string}`, value)
        if (parsed instanceof QueryError) return parsed
        const group = groups.get(Number(index))
        if (group === undefined) groups.set(Number(index), [parsed])
        else group.push(parsed)
        continue
      }
      if (filters.length === MAX_FILTERS) return fail(key, `at most ${MAX_FILTERS} filters`)
      const parsed = parseFilter(key, key, value)
      if (parsed instanceof QueryError) return parsed
      filters.push(parsed)
      continue
    }
    return fail(key, "unknown query parameter (known: filter[<field>][<op>][<type>], filter_or[<i>][<field>][<op>][<type>], sort, limit, offset, fields, expand)")
  }
  const anyOf = [...groups.values()]
  const all = [...filters, ...anyOf.flat()]
  if (all.reduce((sum, filter) => sum + filter.values.length, 0) > MAX_TOTAL_VALUES) {
    return new QueryError({ message: `filter: at most ${MAX_TOTAL_VALUES} values in all filters together` })
  }
  // Each @@ filter's SQL holds a long expression (the text with every separator replaced).
  if (all.filter((filter) => filter.op === "text").length > MAX_TEXT_FILTERS) {
    return new QueryError({ message: `filter: at most ${MAX_TEXT_FILTERS} @@ filters` })
  }
  return { filters, anyOf, sort, limit: limit ?? DEFAULT_LIMIT, offset: offset ?? 0, fields, expand }
}

/**
 * One filter. `parameter` names it in errors (the parameter as sent); `key` is its `filter[..][..][..]`
 * part.
 */
const parseFilter = (parameter: string, key: string, raw: string): Filter | QueryError => {
  const m = FILTER_KEY.exec(key)
  if (m === null) return fail(parameter, "malformed filter, expected filter[<field>][<op>][<type>]")
  const [, name = "", opText = "", typeName = ""] = m
  const field = resolveField(name)
  if (typeof field === "string") return fail(parameter, `${show(name)} ${field}`)
  const arrayWhere = opText.toLowerCase().startsWith(ARRAY_WHERE)
  const opName = arrayWhere ? opText.slice(ARRAY_WHERE.length) : opText
  const lowerOp = opName.toLowerCase()
  if (UNSUPPORTED_OPERATORS.has(lowerOp)) return fail(parameter, `operator ${show(opName)} is not supported`)
  const op = Object.hasOwn(OPERATOR_SPELLINGS, lowerOp) ? OPERATOR_SPELLINGS[lowerOp] : undefined
  if (op === undefined) return fail(parameter, `unknown operator ${show(opText)} (${KNOWN_OPERATORS})`)
  if (arrayWhere) {
    if (field.kind === "column") return fail(parameter, `${show(name)} is a record column, not an array field (ARRAY_WHERE_ needs <array>.<field>)`)
    if (field.path.length < 2) return fail(parameter, `ARRAY_WHERE_ needs <array>.<field>, got ${show(name)}`)
  }
  const type = TYPES.find((t) => t === typeName.toLowerCase())
  if (type === undefined) return fail(parameter, `unknown type ${show(typeName)} (string, number, boolean, date or object)`)
  const problem = typeProblem(op, opName, type)
  if (problem !== undefined) return fail(parameter, problem)
  const values: Array<string | number | boolean> = []
  if (op === "text") {
    if (raw.length > MAX_VALUE_LENGTH) return fail(parameter, `value is longer than ${MAX_VALUE_LENGTH} characters`)
    const queryWords = [...new Set(words(raw))]
    if (queryWords.length === 0) return fail(parameter, "@@ needs at least one word")
    if (queryWords.length > MAX_TEXT_WORDS) return fail(parameter, `@@ takes at most ${MAX_TEXT_WORDS} words`)
    values.push(...queryWords)
  } else {
    // String([]) is "": an empty object-typed list is no values at all.
    const texts = !LIST_OPERATORS.has(op) ? [raw] : type === "object" && raw === "" ? [] : raw.split(",")
    if (texts.length > MAX_LIST_VALUES) return fail(parameter, `at most ${MAX_LIST_VALUES} values in a list`)
    for (const text of texts) {
      const parsed = parseTypedValue(type, text)
      if ("problem" in parsed) return fail(parameter, parsed.problem)
      values.push(parsed.value)
    }
  }
  return arrayWhere ? { field, op, type, values, arrayWhere } : { field, op, type, values }
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
