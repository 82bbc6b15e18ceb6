import { parseListQuery, QueryError, type FilterOp, type ParsedRecordRow } from "@machhub/projections"
import type { Rng } from "./queryHarness.js"

/**
 * Random records and list queries for the property and fuzz tests. Values come from small pools of
 * awkward cases (so filters hit, ties happen and every type meets every other) plus random ones.
 */

/**
 * Top-level data fields; `constructor` and `__proto__` catch JS lookups that SQLite would not make;
 * `tags` mostly holds an array of scalars and `lines` an array of objects, for the array operators.
 */
export const DATA_FIELDS = ["alpha", "beta", "gamma", "delta", "obj", "constructor", "__proto__", "tags", "lines"] as const
export const QUERY_FIELDS = [...DATA_FIELDS, "obj.x", "obj.y", "obj.x.deep", "alpha.length", "id", "_meta.created", "_meta.updated", "_meta.creator", "_meta.version"]
/** Paths for ARRAY_WHERE: the first array may be at any prefix, or nowhere. */
export const ARRAY_WHERE_FIELDS = ["lines.x", "lines.y", "lines.deep.x", "lines.x.deep", "tags.x", "obj.x.y", "obj.deep.x", "alpha.x", "lines.__proto__", "lines.length"]

const STRINGS = [
  "", "a", "A", "ab", "abc", "b", "B", "z", "é", "e\u0301", "😀", "😀x", "\uE000", "\uFFFF", "\uFFFD", "ß", "日本",
  "x\u0000y", "\u0000", "tab\there", "new\nline", "[1]", "[]", "{}", "{\"x\":1}", "null", "true", "false", "5", "-1", "1.5",
  "it's", "\"quoted\"", "'; DROP TABLE t; --", "$.a') OR 1=1 --", "%", "_", "*", "?", "a,b", "back\\slash",
  "2024-01-01", "2024-01-01T00:00Z", "2024-01-01T01:00+01:00", "2023-12-31T23:59:59.999Z", "2024-02-30", "2024-01-01T24:00Z",
  "2024-13-01", "2024-01-01 10:00", "2024-01-01T10:00:00", "2024-01-01\u0000", "2024-01-01T10:00Z ", "9999-12-31T24:00Z",
  "0000-01-01", "2024-01-01T10:00:00.5Z", "2024-01-01T10:00:00.500Z", "2024-01-01t10:00z", "1970-01-01T00:00:00.000-00:00",
  // case and word boundaries, for ~ and @@
  "ABC", "aBc", "É", "éa", "STRASSE", "Straße", "CNC-Mill #4", "the mill", "MILL", "mill2", "Mill_Line", "x\u0000Mill", "a b\tc\nD",
  "mill,lathe", "[mill]", "ÉTÉ été"
]
const STRING_CHARS = ["a", "b", "A", "é", "😀", "\uE000", "\uFFFF", "\u0000", "'", "\"", " ", "%", "z", "0", "-", "{", "["]
const NUMBERS = [0, 1, -1, 2, 5, 1.5, -2.25, 0.1, 0.2, 0.30000000000000004, 1e21, -1e-7, 2 ** 53, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e300, -1e300, 5e-324, 123456.789]

/** A random ISO-ish date string, valid or not; month, day, hour etc. stray just outside their ranges. */
export const randomDateText = (rng: Rng): string => {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0")
  const day = `${pad(rng.pick([0, 1970, 1999, 2000, 2023, 2024, 9999]), 4)}-${pad(rng.int(0, 13))}-${pad(rng.int(0, 32))}`
  if (rng.chance(0.25)) return day
  let time = `T${pad(rng.int(0, 25))}:${pad(rng.int(0, 60))}`
  if (rng.chance(0.6)) time += `:${pad(rng.int(0, 60))}`
  if (rng.chance(0.4)) time += `.${String(rng.int(0, 999)).slice(0, rng.int(1, 3))}`
  const zone = rng.chance(0.4) ? "Z" : `${rng.pick(["+", "-"])}${pad(rng.int(0, 15))}:${pad(rng.pick([0, 30, 45, 59, 60]))}`
  return `${day}${time}${rng.chance(0.05) ? "" : zone}`
}

/** A valid date within the usual range, for the record columns created/updated. */
const isoInstant = (rng: Rng): string => new Date(rng.int(0, 4_102_444_800_000)).toISOString()

export const randomString = (rng: Rng): string => {
  if (rng.chance(0.6)) return rng.pick(STRINGS)
  if (rng.chance(0.2)) return randomDateText(rng)
  if (rng.chance(0.03)) return rng.pick(["\ud800", "a\udbff", "\udc00b"]) // unpaired surrogates
  return Array.from({ length: rng.int(0, 6) }, () => rng.pick(STRING_CHARS)).join("")
}

export const randomNumber = (rng: Rng): number => {
  const n = rng.chance(0.5) ? rng.pick(NUMBERS) : rng.chance(0.5) ? rng.int(-5, 5) : (rng.next() - 0.5) * 10 ** rng.int(-3, 8)
  return Object.is(n, -0) ? 0 : n
}

const randomScalar = (rng: Rng): unknown => {
  const kind = rng.int(0, 3)
  return kind === 0 ? randomString(rng) : kind === 1 ? randomNumber(rng) : kind === 2 ? rng.chance(0.5) : null
}

/** Any JSON value: scalars mostly, sometimes arrays (of scalars, now and then of objects) and objects (which may hold `x`, `y`, `deep`). */
export const randomValue = (rng: Rng, depth = 0): unknown => {
  const roll = rng.next()
  if (roll < 0.3) return randomString(rng)
  if (roll < 0.55) return randomNumber(rng)
  if (roll < 0.65) return rng.chance(0.5)
  if (roll < 0.72) return null
  if (roll < 0.82 || depth > 1) return Array.from({ length: rng.int(0, 3) }, () => (depth <= 1 && rng.chance(0.2) ? randomObject(rng, depth + 1) : randomScalar(rng)))
  return randomObject(rng, depth)
}

const randomObject = (rng: Rng, depth: number): Record<string, unknown> => {
  const object: Record<string, unknown> = {}
  for (const key of ["x", "y", "deep", "length"]) if (rng.chance(0.5)) object[key] = randomValue(rng, depth + 1)
  return object
}

/** Few distinct scalars, so array elements and list values meet often. */
const TAG_POOL: ReadonlyArray<unknown> = ["a", "A", "b", "mill", "Mill", "", "1", "true", "2024-01-01", 1, 2, 1.5, 0, true, false, null]
const randomTags = (rng: Rng): unknown =>
  rng.chance(0.85) ? Array.from({ length: rng.int(0, 4) }, () => (rng.chance(0.1) ? [rng.pick(TAG_POOL)] : rng.pick(TAG_POOL))) : rng.chance(0.5) ? rng.pick(TAG_POOL) : randomValue(rng)
const randomLine = (rng: Rng): unknown => {
  if (rng.chance(0.1)) return rng.pick(TAG_POOL) // not an object: nothing at any sub-path
  const line: Record<string, unknown> = {}
  if (rng.chance(0.8)) line["x"] = rng.chance(0.7) ? rng.pick(TAG_POOL) : randomValue(rng, 1)
  if (rng.chance(0.6)) line["y"] = rng.chance(0.3) ? randomTags(rng) : randomScalar(rng)
  if (rng.chance(0.3)) line["deep"] = { x: rng.pick(TAG_POOL) }
  return line
}
const randomLines = (rng: Rng): unknown => rng.chance(0.85) ? Array.from({ length: rng.int(0, 3) }, () => randomLine(rng)) : randomValue(rng)

let idCounter = 0
export const randomRecords = (rng: Rng, count: number): Array<ParsedRecordRow> =>
  Array.from({ length: count }, () => {
    // Build through JSON so a "__proto__" key is an own property, as JSON.parse of a request body makes it.
    const fields: Array<string> = []
    for (const field of DATA_FIELDS) {
      if (!rng.chance(field === "__proto__" || field === "constructor" ? 0.2 : 0.75)) continue
      const value = field === "tags" ? randomTags(rng) : field === "lines" ? randomLines(rng) : randomValue(rng)
      fields.push(`${JSON.stringify(field)}:${JSON.stringify(value)}`)
    }
    const data = JSON.parse(`{${fields.join(",")}}`) as Record<string, unknown>
    return {
      id: `${rng.pick(["r", "R", "é", "😀", "\uE000", "a_", "0"])}${(idCounter++).toString(36)}`,
      data,
      creator: rng.pick(["alice", "bob", "key:1", "Ωmega"]),
      created: isoInstant(rng),
      updated: isoInstant(rng),
      version: rng.int(1, 5)
    }
  })

const OP_FORMS: Readonly<Record<FilterOp, ReadonlyArray<string>>> = {
  eq: ["=", "==", "eq", "EQ", "Eq"],
  ne: ["!=", "ne", "NE"],
  gt: [">", "gt", "GT"],
  lt: ["<", "lt", "Lt"],
  gte: [">=", "gte", "GTE"],
  lte: ["<=", "lte", "LTE"],
  fuzzy: ["~"],
  notFuzzy: ["!~"],
  text: ["@@"],
  contains: ["contains", "CONTAINS", "Contains"],
  containsNot: ["CONTAINSNOT", "containsnot"],
  containsAll: ["CONTAINSALL"],
  containsAny: ["CONTAINSANY", "containsAny"],
  containsNone: ["CONTAINSNONE"],
  in: ["in", "IN", "INSIDE"],
  notIn: ["NOT IN", "not in", "NOTINSIDE"],
  allIn: ["ALLINSIDE"],
  anyIn: ["ANYINSIDE"],
  noneIn: ["NONEINSIDE"]
}
export const ALL_OPS = Object.keys(OP_FORMS) as ReadonlyArray<FilterOp>
const NEGATIVE_OPS: ReadonlyArray<FilterOp> = ["ne", "notFuzzy", "containsNot", "containsNone", "notIn", "noneIn"]
const LIST_OPS: ReadonlySet<FilterOp> = new Set(["containsAll", "containsAny", "containsNone", "in", "notIn", "allIn", "anyIn", "noneIn"])
const STRING_OPS: ReadonlySet<FilterOp> = new Set(["fuzzy", "notFuzzy", "text"])

/** A filter value text that parses as its type (the parser itself is tested separately). */
const valueText = (rng: Rng, type: string, forList: boolean): string => {
  switch (type) {
    case "string": {
      const s = randomString(rng).replace(/[\ud800-\udfff]/g, (c, i, all: string) => {
        // keep pairs, drop unpaired surrogates (the parser refuses them)
        const code = c.charCodeAt(0)
        const pairedHigh = code < 0xdc00 && /[\udc00-\udfff]/.test(all[i + 1] ?? "")
        const pairedLow = code >= 0xdc00 && /[\ud800-\udbff]/.test(all[i - 1] ?? "")
        return pairedHigh || pairedLow ? c : ""
      })
      return forList ? s.replaceAll(",", "") : s
    }
    case "number": {
      const n = randomNumber(rng)
      return rng.chance(0.2) && Number.isInteger(n) && Math.abs(n) < 1e6 ? `${n}.0` : String(n)
    }
    case "boolean":
      return rng.pick(["true", "false", "TRUE", "False"])
    case "object":
      // an untyped text: any of the above, as a client's String(array) would give it
      return valueText(rng, rng.pick(["string", "string", "number", "boolean"]), true)
    default: {
      for (;;) {
        const text = rng.chance(0.5) ? randomDateText(rng) : rng.pick(["2024-01-01", "2024-01-01T00:00Z", "2024-01-01T01:00+01:00", "1970-01-01T00:00:00.000Z", "2024-01-01T10:00:00.5Z"])
        if (isValidQueryDate(text)) return text
      }
    }
  }
}

/** Whether the parser takes `text` as a date (the parser's date rules are unit-tested separately). */
const isValidQueryDate = (text: string): boolean =>
  !(parseListQuery(new URLSearchParams([["filter[a][eq][date]", text]])) instanceof QueryError)

/** JS lookup of own keys through objects only, as a query path reads a record. */
const lookup = (value: unknown, path: ReadonlyArray<string>): unknown => {
  for (const segment of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

/** The value a query field names in a record (a JS mirror good enough for choosing test values). */
const fieldOf = (row: ParsedRecordRow, field: string): unknown => {
  const columns: Record<string, unknown> = { id: row.id, "_meta.created": row.created, "_meta.updated": row.updated, "_meta.creator": row.creator, "_meta.version": row.version }
  return Object.hasOwn(columns, field) ? columns[field] : lookup(row.data, field.split("."))
}

/** For ARRAY_WHERE: the values at the rest of the path in the elements of the first array on it. */
const elementValuesOf = (row: ParsedRecordRow, field: string): ReadonlyArray<unknown> => {
  const path = field.split(".")
  for (let split = 1; split < path.length; split++) {
    const value = lookup(row.data, path.slice(0, split))
    if (Array.isArray(value)) return value.map((element) => lookup(element, path.slice(split)))
  }
  return []
}

/** A value as filter text with its type, when the parser would take it back. */
const typedText = (rng: Rng, value: unknown): { readonly type: string; readonly text: string } | undefined => {
  if (typeof value === "number") return { type: "number", text: String(value) }
  if (typeof value === "boolean") return { type: "boolean", text: String(value) }
  if (typeof value !== "string" || /[\ud800-\udfff]/.test(value)) return undefined
  return isValidQueryDate(value) && rng.chance(0.7) ? { type: "date", text: value } : { type: "string", text: value }
}

/** Flips the case of some ASCII letters (so ~ and @@ meet other casings of what records hold). */
const recase = (rng: Rng, text: string): string =>
  text.replace(/[A-Za-z]/g, (c) => (rng.chance(0.3) ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c))

/**
 * One random valid filter, as the `[field][op][type]` part of its key and its value. Values mostly
 * come from what records hold (array elements for the array operators), so filters select something.
 */
const randomFilter = (rng: Rng, rows: ReadonlyArray<ParsedRecordRow>, negativeLean: boolean): readonly [string, string] => {
  const op: FilterOp = negativeLean && rng.chance(0.4) ? rng.pick(NEGATIVE_OPS) : rng.pick(ALL_OPS)
  const arrayWhere = rng.chance(0.15)
  let field = arrayWhere ? rng.pick(ARRAY_WHERE_FIELDS) : rng.pick(QUERY_FIELDS.filter((f) => f !== "alpha.length" || rng.chance(0.2)))
  // What some record holds there: the value itself, an element of it (array operators), or for
  // ARRAY_WHERE the value in one of the elements.
  const seenValue = (): unknown => {
    const row = rng.pick(rows)
    const value = arrayWhere ? rng.pick([undefined, ...elementValuesOf(row, field)]) : fieldOf(row, field)
    return Array.isArray(value) && value.length > 0 && rng.chance(0.8) ? rng.pick(value) : value
  }
  let seen: ReturnType<typeof typedText>
  for (let attempt = 0; attempt < 6 && seen === undefined && rows.length > 0 && rng.chance(0.9); attempt++) {
    if (!arrayWhere && attempt > 0) field = rng.pick(QUERY_FIELDS)
    seen = typedText(rng, seenValue())
  }
  const list = LIST_OPS.has(op)
  const type = STRING_OPS.has(op) ? "string" : list && rng.chance(0.3) ? "object" : seen?.type ?? rng.pick(["string", "number", "boolean", "date"])
  const one = (forList: boolean): string => {
    const fromSeen = seen !== undefined && (seen.type === type || (type === "object" && seen.type !== "date")) && rng.chance(0.7)
    let text = fromSeen ? (seen as { text: string }).text : valueText(rng, type, forList)
    if ((op === "contains" || op === "containsNot" || op === "fuzzy" || op === "notFuzzy" || op.startsWith("containsA")) && type === "string" && rng.chance(0.5)) {
      text = text.slice(rng.int(0, 1), rng.int(1, 3)) // a substring
    }
    if (op === "fuzzy" || op === "notFuzzy" || op === "text") text = recase(rng, text)
    if (op === "text") {
      // a word or two of it (the parser refuses a query without words)
      const words = text.split(/[\t\n\u000b\f\r !-/:-@[-`{-~]+/).filter((w) => w.length > 0)
      text = words.length === 0 ? rng.pick(["mill", "MILL", "a", "cnc", "4", "été"]) : Array.from({ length: rng.int(1, 2) }, () => rng.pick(words)).join(rng.pick([" ", ", ", "-"]))
    }
    return forList ? text.replaceAll(",", "") : text
  }
  const value = !list ? one(false) : Array.from({ length: type === "object" ? rng.int(0, 4) : rng.int(1, 4) }, () => one(true)).join(",")
  const opName = `${arrayWhere ? rng.pick(["ARRAY_WHERE_", "array_where_"]) : ""}${rng.pick(OP_FORMS[op])}`
  return [`[${field}][${opName}][${rng.chance(0.8) ? type : type.toUpperCase()}]`, value] as const
}

/** A random valid list query, built with URLSearchParams.append so every character is encoded. */
export const randomQuery = (rng: Rng, rows: ReadonlyArray<ParsedRecordRow> = []): URLSearchParams => {
  const params = new URLSearchParams()
  const filterCount = rng.pick([0, 1, 1, 1, 2, 2, 3])
  // ANDed filters soon match nothing; later ones lean to negations, which keep most records.
  for (let i = 0; i < filterCount; i++) {
    const [key, value] = randomFilter(rng, rows, i > 0)
    params.append(`filter${key}`, value)
  }
  if (filterCount === 0 || rng.chance(0.35)) {
    // OR groups: indexes repeat now and then, which puts entries in one AND group.
    const entries = rng.int(1, 4)
    for (let i = 0; i < entries; i++) {
      const [key, value] = randomFilter(rng, rows, rng.chance(0.3))
      params.append(`filter_or[${rng.pick(["0", "1", "2", "7", "10", String(i)])}]${key}`, value)
    }
  }
  const sortCount = rng.int(0, 2)
  for (let i = 0; i < sortCount; i++) {
    const field = rng.pick(QUERY_FIELDS)
    const desc = rng.chance(0.5)
    params.append("sort", rng.pick([`[${field}][${desc ? "desc" : "asc"}]`, desc ? `-${field}` : field, desc ? `[${field}][DESC]` : `[${field}]`]))
  }
  if (rng.chance(0.8)) params.append("limit", String(rng.pick([0, 1, 2, 3, 5, 10, 100, 1000])))
  if (rng.chance(0.6)) params.append("offset", String(rng.pick([0, 1, 2, 5, 20, 1_000_000])))
  return params
}
