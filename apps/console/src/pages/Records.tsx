import { useState } from "react"
import { api } from "../api"
import { Button, Dialog, ErrorMessage, Loading, Notice, PageHeader, SelectField, Table, TextField, useLoad } from "../components"
import { href, navigate, useRoute } from "../router"
import { useCan } from "../session"
import { RecordsEditor, type StoredRecord } from "./RecordsEditor"
import { OPERATORS, PAGE_SIZES, parseRecordsQuery, recordsQueryString, TYPES, type Filter, type RecordsQuery, type Sort } from "./RecordsQuery"

const shortId = (id: string) => id.slice(id.indexOf(":") + 1)

const cellText = (value: unknown): string => {
  if (value === undefined || value === null) return ""
  const text = typeof value === "string" ? value : JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}

/** The filter and sort controls: editing them rewrites the hash route, which is the list query itself. */
const QueryControls = ({ query, apply }: { query: RecordsQuery; apply: (next: RecordsQuery) => void }) => {
  const [filter, setFilter] = useState<Filter>({ field: "", op: "=", type: "string", value: "" })
  const [sort, setSort] = useState<Sort>({ field: "", direction: "asc" })
  return (
    <section className="panel" aria-label="Filters and sort">
      <div className="toolbar">
        <TextField label="Filter field" value={filter.field} onChange={(e) => setFilter({ ...filter, field: e.target.value })} />
        <SelectField label="Operator" value={filter.op} onChange={(e) => setFilter({ ...filter, op: e.target.value })}>
          {OPERATORS.map((op) => <option key={op} value={op}>{op}</option>)}
        </SelectField>
        <SelectField label="Type" value={filter.type} onChange={(e) => setFilter({ ...filter, type: e.target.value })}>
          {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </SelectField>
        <TextField label="Value" value={filter.value} onChange={(e) => setFilter({ ...filter, value: e.target.value })} />
        <Button disabled={filter.field.trim() === ""} onClick={() => { apply({ ...query, filters: [...query.filters, { ...filter, field: filter.field.trim() }], offset: 0 }); setFilter({ ...filter, value: "" }) }}>Add filter</Button>
      </div>
      <div className="toolbar">
        <TextField label="Sort field" value={sort.field} onChange={(e) => setSort({ ...sort, field: e.target.value })} />
        <SelectField label="Direction" value={sort.direction} onChange={(e) => setSort({ ...sort, direction: e.target.value as "asc" | "desc" })}>
          <option value="asc">ascending</option>
          <option value="desc">descending</option>
        </SelectField>
        <Button disabled={sort.field.trim() === ""} onClick={() => apply({ ...query, sorts: [...query.sorts, { ...sort, field: sort.field.trim() }], offset: 0 })}>Add sort</Button>
      </div>
      {(query.filters.length > 0 || query.sorts.length > 0) && (
        <ul className="chips" aria-label="Active filters and sorts">
          {query.filters.map((f, i) => (
            <li key={`f${i}`}>
              <code>{f.field} {f.op} {f.value} ({f.type})</code>
              <Button aria-label={`Remove filter ${f.field} ${f.op} ${f.value}`} onClick={() => apply({ ...query, filters: query.filters.filter((_, j) => j !== i), offset: 0 })}>×</Button>
            </li>
          ))}
          {query.sorts.map((s, i) => (
            <li key={`s${i}`}>
              <code>sort {s.field} {s.direction}</code>
              <Button aria-label={`Remove sort by ${s.field}`} onClick={() => apply({ ...query, sorts: query.sorts.filter((_, j) => j !== i), offset: 0 })}>×</Button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** One collection's records (SPEC §6): filtered, sorted and paged by the data plane's own query. */
export const Records = ({ table, schema }: { table: string; schema: unknown }) => {
  const route = useRoute()
  const can = useCan()
  const writable = can("collections", "read-write")
  const query = parseRecordsQuery(route.query)
  const listQuery = recordsQueryString(query)
  const countQuery = recordsQueryString(query, false)
  const [creating, setCreating] = useState(false)
  const [notice, setNotice] = useState<string>()
  const path = `/machhub/${encodeURIComponent(table)}`
  const page = useLoad(async (signal) => {
    const [records, count] = await Promise.all([
      api<ReadonlyArray<StoredRecord>>("GET", `${path}/all?${listQuery}`, undefined, { signal }),
      api<{ count: number }>("GET", `${path}/count${countQuery === "" ? "" : `?${countQuery}`}`, undefined, { signal })
    ])
    return { records, count: count.count }
  }, [path, listQuery])

  const apply = (next: RecordsQuery) => navigate(href(["collections", table], new URLSearchParams(recordsQueryString(next))))
  const records = page.data?.records ?? []
  const columns = Array.from(new Set(records.flatMap((r) => Object.keys(r).filter((k) => k !== "id" && k !== "_meta")))).slice(0, 8)
  const total = page.data?.count ?? 0
  const from = total === 0 ? 0 : query.offset + 1
  const to = Math.min(query.offset + records.length, total)

  return (
    <>
      <PageHeader
        title={`Collection ${table}`}
        actions={<>
          <a className="button button-plain" href="#/collections">All collections</a>
          {writable && <Button variant="primary" onClick={() => setCreating(true)}>New record</Button>}
        </>}
      />
      {notice !== undefined && <Notice>{notice}</Notice>}
      <QueryControls query={query} apply={apply} />
      <p className="muted">Query: <code data-testid="records-query">GET {path}/all?{decodeURIComponent(listQuery)}</code></p>
      <ErrorMessage error={page.error} />
      {page.loading && page.data === undefined ? <Loading /> : (
        <Table
          caption={total === 0 ? "Records: none" : `Records ${from}–${to} of ${total}`}
          rows={records}
          rowKey={(r) => r.id}
          empty="No records match."
          columns={[
            { header: "Id", cell: (r) => <a href={href(["collections", table, shortId(r.id)])}>{shortId(r.id).slice(0, 8)}…</a> },
            ...columns.map((name) => ({ header: name, cell: (r: StoredRecord) => cellText(r[name]) })),
            { header: "Updated", cell: (r) => new Date(r._meta.updated).toLocaleString() },
            { header: "Version", cell: (r) => r._meta.version }
          ]}
        />
      )}
      <nav className="toolbar pager" aria-label="Pages of records">
        <Button disabled={query.offset === 0} onClick={() => apply({ ...query, offset: Math.max(0, query.offset - query.limit) })}>Previous page</Button>
        <Button disabled={query.offset + query.limit >= total} onClick={() => apply({ ...query, offset: query.offset + query.limit })}>Next page</Button>
        <SelectField label="Per page" value={String(query.limit)} onChange={(e) => apply({ ...query, limit: Number(e.target.value), offset: 0 })}>
          {PAGE_SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
        </SelectField>
      </nav>
      <Dialog title={`New record in ${table}`} open={creating} onClose={() => setCreating(false)}>
        <RecordsEditor table={table} schema={schema} onCancel={() => setCreating(false)} onSaved={(saved) => { setCreating(false); setNotice(`Record ${shortId(saved.id)} created`); page.reload() }} />
      </Dialog>
    </>
  )
}
