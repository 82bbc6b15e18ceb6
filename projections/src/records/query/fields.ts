import type { FieldRef, RecordColumn } from "./ListQuery.js"

/**
 * Field names. The grammar is deliberately narrow: a segment is `[A-Za-z_][A-Za-z0-9_]{0,63}`, at most
 * 8 of them joined by dots. That is what makes it safe to embed a path inside the SQL text
 * `json_extract(data, '$.a.b')` (it must be a literal there, not a bound parameter, or an expression
 * index on it could never be used) and what keeps JSON path syntax (`[0]`, `..`, `"…"`, `$`) out.
 */
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
export const MAX_SEGMENTS = 8

const RESERVED: Readonly<Record<string, RecordColumn>> = {
  id: "id",
  "_meta.creator": "creator",
  "_meta.created": "created",
  "_meta.updated": "updated",
  "_meta.version": "version"
}

/** Splits and checks a dotted name; undefined when it breaks the grammar. */
export const fieldSegments = (name: string): ReadonlyArray<string> | undefined => {
  if (name.length === 0 || name.length > 8 * 65) return undefined
  const segments = name.split(".")
  if (segments.length > MAX_SEGMENTS) return undefined
  return segments.every((segment) => SEGMENT.test(segment)) ? segments : undefined
}

/**
 * A filter or sort field: a reserved name maps to its column; other names under `id` or `_meta` are
 * refused (the API shows nothing else there); anything else is a path into `data`.
 */
export const resolveField = (name: string): FieldRef | string => {
  const segments = fieldSegments(name)
  if (segments === undefined) {
    return "is not a field name (dot-separated names of letters, digits and _, each starting with a letter or _, at most 64 characters and 8 parts)"
  }
  const column = Object.hasOwn(RESERVED, name) ? RESERVED[name] : undefined
  if (column !== undefined) return { kind: "column", name, column }
  if (segments[0] === "id" || segments[0] === "_meta") {
    return "is reserved (use id, _meta.created, _meta.updated, _meta.creator or _meta.version)"
  }
  return { kind: "data", name, path: segments }
}

/** The SQLite JSON path of a data field: `$.a.b`. Only ever built from a validated FieldRef. */
export const jsonPath = (path: ReadonlyArray<string>): string => `$.${path.join(".")}`

/** JS twin of `json_extract(data, '$.a.b')`: own keys of plain objects only, undefined when absent. */
export const lookupPath = (data: unknown, path: ReadonlyArray<string>): unknown => {
  let value = data
  for (const segment of path) {
    // Arrays and strings have properties (`length`) and every object inherits some (`constructor`,
    // `__proto__`); SQLite sees none of them, so neither may we.
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}
