/**
 * A parsed collection list query (SPEC §6, §6a) and THE definition of what it means. Two
 * implementations follow this text exactly and are checked against each other by a property test:
 * `toSql` (SQLite over the per-collection records table) and `evaluate` (plain JS over records in memory).
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
 * Typed values. `filter[f][op][type]=v` reads `v` as its type, and a value "has the type" when:
 * - `string`: it is a JSON string; strings compare by Unicode code point (= SQLite BINARY over UTF-8).
 * - `number`: it is a JSON number; compared numerically.
 * - `boolean`: it is JSON true/false; compared as 1/0 (so false < true).
 * - `date`: it is a JSON string that is a valid ISO date (see `isoInstantMs`); compared as the instant.
 * - `object` (what JavaScript's `typeof` says of an array, so what the SDK sends for a list): the value
 *   is a comma-separated list of untyped texts, allowed with the list operators only. An untyped text
 *   `t` equals a JSON string that is exactly `t`, a JSON number equal to `t` read as a decimal number
 *   (when it reads as one, as type `number` would), and a JSON boolean equal to `t` read as
 *   `true`/`false` (any casing). It never equals null, an array or an object.
 * A list operator with any other type splits `v` at commas too, each part read as that type (so `x,y`
 * with `string` is the two strings x and y, and `""` is the one empty string, while with `object` the
 * empty text is the empty list: String([]) is "").
 *
 * "x equals w" below always means: x has the type and is equal to w as that type (for `object`, as just
 * said). Missing fields, null, arrays and objects equal nothing.
 *
 * Operators (names in any casing; SurrealDB-style symbols, plus the aliases of SPEC §6):
 * - `eq` (`=` `==` `eq`): the field equals v. `gt lt gte lte` (`> < >= <=`): it has the type and
 *   compares so with v. Type `object` is refused for these.
 * - `fuzzy` (`~`): the field is a string holding v as a substring, ignoring the case of the ASCII letters
 *   A-Z (SQLite's lower(); other letters must match exactly). Type `string` only.
 * - `text` (`@@`, full-text match): the field is a string, and every word of v is one of its words,
 *   ignoring ASCII case. Words are what remains after cutting the text at ASCII whitespace (space,
 *   tab, LF, VT, FF, CR) and ASCII punctuation (`!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`), so
 *   `"CNC-mill #4"` has the words cnc, mill and 4, and `"Straße été"` has straße and été. v must hold
 *   at least one word (at most 16), and a query at most 8 `@@` filters. Type `string` only.
 * - `contains` (`CONTAINS` `contains`): the field HOLDS v: it is a string and v, of type `string` (or
 *   an untyped text), is a case-sensitive substring of it (the empty string is in every string); or it
 *   is an array with an element equal to v. Any type but `object`.
 * - `containsAll` / `containsAny` (`CONTAINSALL` / `CONTAINSANY`, a list): the field is a string or an
 *   array that holds every / at least one listed value.
 * - `in` (`INSIDE` `IN` `in`, a list): the field equals one of the listed values (an array field is
 *   never "in" a list: it equals no listed value).
 * - `allIn` / `anyIn` (`ALLINSIDE` / `ANYINSIDE`, a list): the field is an array and every element /
 *   at least one element equals a listed value (so an empty array is ALLINSIDE any list).
 * - Negations are exactly NOT their positive twin, so they also match records where the field is
 *   missing, null or of another type: `ne` (`!=` `ne`) = NOT eq, `notFuzzy` (`!~`) = NOT fuzzy,
 *   `containsNot` (`CONTAINSNOT`) = NOT contains, `containsNone` (`CONTAINSNONE`) = NOT containsAny,
 *   `notIn` (`NOTINSIDE` `NOT IN`) = NOT in, `noneIn` (`NONEINSIDE`) = NOT anyIn.
 * - SurrealDB's `?= *= ?~ *~ @0@ @1@ @2@ @3@` are refused as not supported.
 * A list holds at most 100 values, and all lists of a query together at most 1,000.
 *
 * Array elements. `filter[<array>.<sub>][ARRAY_WHERE_<op>][<type>]=v` (the SDK's filterInArray) holds
 * when the first array met walking the path has SOME element whose value at the rest of the path
 * satisfies `<op>` as above, e.g. `lines.item.id` with `lines` an array of objects tests each line's
 * `item.id`. The path needs at least two segments, the array may be nested (`order.lines.qty`), an
 * element that is not an object has nothing at the rest of the path (so `!=` holds for it), and a path
 * that meets no array matches nothing. Never on the reserved fields.
 *
 * Combining. Every `filter[...]` must hold (AND). `filter_or[<i>][<field>][<op>][<type>]=v` entries
 * form groups by their index `i` (a whole number): the entries of one group must all hold (AND), and
 * at least one group must hold (OR), on top of every plain filter. The SDK gives each orFilter() its own
 * index (filter_or[0], filter_or[1], …), which makes that a plain OR of its orFilters, AND-ed with its
 * filters; sharing an index is how a hand-written query says (a AND b) OR c.
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

/** The value types a filter may name (`object`: a list of untyped texts, see above). */
export type FieldType = "string" | "number" | "boolean" | "date" | "object"

/** Canonical operator names; `parseListQuery` maps every accepted spelling onto one of these. */
export type FilterOp =
  | "eq" | "ne" | "gt" | "lt" | "gte" | "lte"
  | "fuzzy" | "notFuzzy" | "text"
  | "contains" | "containsNot" | "containsAll" | "containsAny" | "containsNone"
  | "in" | "notIn" | "allIn" | "anyIn" | "noneIn"

/** The record columns that reserved field names address. */
export type RecordColumn = "id" | "creator" | "created" | "updated" | "version"

/** A resolved field: a record column, or a validated path into `data`. `name` is the dotted form. */
export type FieldRef =
  | { readonly kind: "column"; readonly name: string; readonly column: RecordColumn }
  | { readonly kind: "data"; readonly name: string; readonly path: ReadonlyArray<string> }

/**
 * One filter. `values` holds the typed values (one, or a list for list operators): strings for
 * `string`, numbers for `number`, booleans for `boolean`, epoch milliseconds for `date`, the untyped
 * texts for `object`, and for `text` (`@@`) the query's words, already lower-cased.
 * `arrayWhere` marks `ARRAY_WHERE_<op>`: the op applies to the elements of the first array on the path.
 */
export interface Filter {
  readonly field: FieldRef
  readonly op: FilterOp
  readonly type: FieldType
  readonly values: ReadonlyArray<string | number | boolean>
  readonly arrayWhere?: true
}

export interface SortKey {
  readonly field: FieldRef
  readonly direction: "asc" | "desc"
}

export interface ListQuery {
  /** Every one must hold. */
  readonly filters: ReadonlyArray<Filter>
  /** The `filter_or` groups, in the order they first appear: when there are any, all filters of at least one group must hold. */
  readonly anyOf: ReadonlyArray<ReadonlyArray<Filter>>
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

/** The query with `change` applied to every filter, plain and OR-grouped (e.g. to rewrite id values). */
export const mapFilters = (query: ListQuery, change: (filter: Filter) => Filter): ListQuery => ({
  ...query,
  filters: query.filters.map(change),
  anyOf: query.anyOf.map((group) => group.map(change))
})
