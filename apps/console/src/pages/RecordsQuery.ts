/**
 * The records list's state is the data plane's own list query (SPEC §6): the hash route carries
 * `filter[<field>][<op>][<type>]=<value>`, `sort=[<field>][asc|desc]`, `limit` and `offset` exactly as
 * `GET /machhub/<table>/all` takes them, so what the page shows is a URL anyone can repeat.
 */

export const OPERATORS = ["=", "!=", ">", "<", ">=", "<=", "CONTAINS", "IN", "~", "!~"] as const
export const TYPES = ["string", "number", "boolean", "date"] as const
export const PAGE_SIZES = [10, 25, 50, 100] as const

export interface Filter {
  readonly field: string
  readonly op: string
  readonly type: string
  readonly value: string
}

export interface Sort {
  readonly field: string
  readonly direction: "asc" | "desc"
}

export interface RecordsQuery {
  readonly filters: ReadonlyArray<Filter>
  readonly sorts: ReadonlyArray<Sort>
  readonly limit: number
  readonly offset: number
}

const FILTER = /^filter\[([^\]]+)\]\[([^\]]+)\]\[([^\]]+)\]$/
const SORT = /^\[([^\]]+)\]\[(asc|desc)\]$/i

export const DEFAULT_LIMIT = 25

export const parseRecordsQuery = (params: URLSearchParams): RecordsQuery => {
  const filters: Array<Filter> = []
  const sorts: Array<Sort> = []
  for (const [key, value] of params) {
    const filter = FILTER.exec(key)
    if (filter !== null) filters.push({ field: filter[1]!, op: filter[2]!, type: filter[3]!, value })
  }
  for (const value of params.getAll("sort")) {
    const sort = SORT.exec(value)
    if (sort !== null) sorts.push({ field: sort[1]!, direction: sort[2]!.toLowerCase() as "asc" | "desc" })
  }
  const limit = Number(params.get("limit") ?? DEFAULT_LIMIT)
  const offset = Number(params.get("offset") ?? 0)
  return {
    filters,
    sorts,
    limit: Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_LIMIT,
    offset: Number.isInteger(offset) && offset >= 0 ? offset : 0
  }
}

/** The query string of `GET /machhub/<table>/all` (and, without paging, of `/count`). */
export const recordsQueryString = (query: RecordsQuery, paging = true): string => {
  const params = new URLSearchParams()
  for (const f of query.filters) params.append(`filter[${f.field}][${f.op}][${f.type}]`, f.value)
  for (const s of query.sorts) params.append("sort", `[${s.field}][${s.direction}]`)
  if (paging) {
    params.set("limit", String(query.limit))
    params.set("offset", String(query.offset))
  }
  return params.toString()
}
