/**
 * A parsed collection list query (SPEC §6) and THE definition of what it means. Two implementations
 * follow this text exactly and are checked against each other by a property test: `toSql` (SQLite over
 * the per-collection records table) and `evaluate` (plain JS over records in memory).
 *
 * Record table: `id` (short id), `data` (the record's own fields as a JSON object), `creator`,
 * `created`, `updated` (ISO-8601 text) and `version` (integer).
 *
 * Fields. A field is a dotted path of 1..8 segments `[A-Za-z_][A-Za-z0-9_]{0,63}` into `data`, e.g.
 * `address.city`; a path only descends through JSON objects (never arrays), and own keys only. Reserved
 * names address the columns instead: `id` (a string, the SHORT id, not `<domain>.<table>:<id>`),
 * `_meta.creator`, `_meta.created`, `_meta.updated` (strings) and `_meta.version` (a number). Any other
 * `_meta...` or `id.…` is refused, so a query cannot reach into data that the API does not show there.
 *
 * Typed comparison. `filter[f][op][type]=v` only matches records whose field holds that JSON type:
 * - `string`: a JSON string; compared by Unicode code point (= SQLite BINARY over UTF-8 bytes).
 * - `number`: a JSON number; compared numerically.
 * - `boolean`: JSON true/false; compared as 1/0 (so false < true).
 * - `date`: a JSON string that is a valid ISO date (see `isoInstantMs`); compared as the instant.
 * `eq gt lt gte lte` compare with the typed value; `in` is `eq` against any of a comma-separated list;
 * `contains` (string only) is a case-sensitive substring test (the empty string is in every string).
 * `ne` is exactly NOT `eq`: it also matches records where the field is missing, null or of another type.
 * Filters combine with AND.
 *
 * Order. By each sort key in turn, then by `id` so pages are stable (ascending, or descending when the
 * last sort key is descending, which lets an index on (field, id) serve it backwards). A sort key orders values
 * the way SQLite orders `json_extract` results: missing and null first; then numbers, with true/false
 * counting as the numbers 1/0; then text, by code point, where a string counts as its own characters
 * and an object or array counts as its compact JSON text (so `"[1]"` ties with `[1]`, and objects and
 * arrays interleave with strings by their first character: `[` < letters < `{`). `desc` reverses
 * this whole order (nulls last).
 *
 * Page. `offset` rows are skipped after sorting, then at most `limit` rows are returned; the count is
 * the number of matching records regardless of paging.
 */

/** The value types a filter may name. */
export type FieldType = "string" | "number" | "boolean" | "date"

/** Canonical operator names (`=`, `!=`, `>`, `<`, `>=`, `<=` and any casing map onto these). */
export type FilterOp = "eq" | "ne" | "gt" | "lt" | "gte" | "lte" | "contains" | "in"

/** The record columns that reserved field names address. */
export type RecordColumn = "id" | "creator" | "created" | "updated" | "version"

/** A resolved field: a record column, or a validated path into `data`. `name` is the dotted form. */
export type FieldRef =
  | { readonly kind: "column"; readonly name: string; readonly column: RecordColumn }
  | { readonly kind: "data"; readonly name: string; readonly path: ReadonlyArray<string> }

/**
 * One filter. `values` holds one typed value (several for `in`): strings for `string`, numbers for
 * `number`, booleans for `boolean`, and epoch milliseconds for `date`.
 */
export interface Filter {
  readonly field: FieldRef
  readonly op: FilterOp
  readonly type: FieldType
  readonly values: ReadonlyArray<string | number | boolean>
}

export interface SortKey {
  readonly field: FieldRef
  readonly direction: "asc" | "desc"
}

export interface ListQuery {
  readonly filters: ReadonlyArray<Filter>
  readonly sort: ReadonlyArray<SortKey>
  readonly limit: number
  readonly offset: number
  /** `fields=` projection (dotted names), or undefined for whole records. */
  readonly fields: ReadonlyArray<string> | undefined
  /** `expand=` fields (dotted names into data) whose record-id references the route should follow. */
  readonly expand: ReadonlyArray<string>
}

/** A row of a records table (see ../RecordRow.ts) with `data` already parsed; the input of `evaluate`. */
export interface ParsedRecordRow {
  readonly id: string
  readonly data: Readonly<Record<string, unknown>>
  readonly creator: string
  readonly created: string
  readonly updated: string
  readonly version: number
}
