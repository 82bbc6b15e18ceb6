import { useState, type FormEvent } from "react"
import { ApiError, api, apiRaw } from "../api"
import { Button, Dialog, ErrorMessage, Loading, Notice, PageHeader, Table, TextField, useLoad } from "../components"
import { href, navigate } from "../router"
import { useCan, useSession } from "../session"
import { RecordsEditor, type StoredRecord } from "./RecordsEditor"
import { fileFields } from "./RecordsSchema"

interface StreamEvent {
  readonly version: number
  readonly position: number
  readonly type: string
  readonly data: unknown
  readonly meta: { readonly at: string; readonly actor?: { readonly kind: string; readonly id: string } }
}

const fieldsOf = (record: StoredRecord): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== "id" && k !== "_meta"))

/** Saves a file the record holds (PATCH /machhub/file answers its bytes). */
const download = async (record: StoredRecord, table: string, field: string, fileName: string) => {
  const response = await apiRaw("PATCH", "/machhub/file", { fileName, collectionName: table, fieldName: field, recordID: record.id })
  const url = URL.createObjectURL(await response.blob())
  const link = document.createElement("a")
  link.href = url
  link.download = fileName
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A moment typed by a person: a log position (digits) or a local date and time. */
const asOfParam = (text: string): string | undefined => {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return trimmed
  const at = new Date(trimmed)
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString()
}

/**
 * One record (SPEC §6, §10): its fields and files, edit and delete, its history (the record's event
 * stream, for those who may read the audit log) and its state as of any moment.
 */
export const RecordsDetail = ({ table, id, schema }: { table: string; id: string; schema: unknown }) => {
  const { domain } = useSession()
  const can = useCan()
  const writable = can("collections", "read-write")
  const mayAudit = can("audit", "read")
  const fullId = `${domain}.${table}:${id}`
  const path = `/machhub/${encodeURIComponent(fullId)}`
  const record = useLoad((signal) => api<StoredRecord>("GET", path, undefined, { signal }), [path])
  const history = useLoad(
    (signal) => api<{ events: ReadonlyArray<StreamEvent> }>("GET", `/api/audit/streams/${encodeURIComponent(`record-${domain}-${table}:${id}`)}?limit=200`, undefined, { signal }),
    [domain, table, id],
    mayAudit
  )
  const [editing, setEditing] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const [notice, setNotice] = useState<string>()
  const [error, setError] = useState<unknown>()
  const [asOfText, setAsOfText] = useState("")
  const [asOfError, setAsOfError] = useState<string>()
  const [past, setPast] = useState<{ label: string; state: StoredRecord | undefined }>()
  const files = fileFields(schema)

  const showAsOf = async (param: string, label: string) => {
    setAsOfError(undefined)
    try {
      setPast({ label, state: await api<StoredRecord>("GET", `${path}?asOf=${encodeURIComponent(param)}`) })
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) setPast({ label, state: undefined })
      else setAsOfError(failure instanceof Error ? failure.message : String(failure))
    }
  }

  const submitAsOf = (event: FormEvent) => {
    event.preventDefault()
    const param = asOfParam(asOfText)
    if (param === undefined) setAsOfError("Give a log position (a number) or a date and time")
    else void showAsOf(param, /^\d+$/.test(param) ? `position ${param}` : new Date(param).toLocaleString())
  }

  const remove = async () => {
    setDeleting(false)
    try {
      await api("DELETE", path, undefined, record.data === undefined ? {} : { headers: { "If-Match": `"${record.data._meta.version}"` } })
      navigate(href(["collections", table]))
    } catch (failure) {
      setError(failure)
    }
  }

  const current = record.data
  const gone = record.error instanceof ApiError && record.error.status === 404
  return (
    <>
      <PageHeader
        title={`Record ${id}`}
        actions={<>
          <a className="button button-plain" href={href(["collections", table])}>Back to {table}</a>
          {writable && current !== undefined && <Button variant="primary" onClick={() => setEditing(true)}>Edit record</Button>}
          {writable && current !== undefined && <Button variant="danger" onClick={() => setDeleting(true)}>Delete record</Button>}
        </>}
      />
      {notice !== undefined && <Notice>{notice}</Notice>}
      <ErrorMessage error={error} />
      {gone ? <p role="status">This record does not exist now (deleted, or never created). Its history is below.</p> : <ErrorMessage error={record.error} />}
      {record.loading && current === undefined ? <Loading /> : current !== undefined && (
        <section className="panel" aria-label="Current state">
          <h2>Now</h2>
          <dl className="meta">
            <dt>Id</dt><dd><code>{current.id}</code></dd>
            <dt>Version</dt><dd>{current._meta.version}</dd>
            <dt>Created</dt><dd>{new Date(current._meta.created).toLocaleString()}</dd>
            <dt>Updated</dt><dd>{new Date(current._meta.updated).toLocaleString()}</dd>
            <dt>Creator</dt><dd><code>{current._meta.creator}</code></dd>
          </dl>
          <pre data-testid="record-json">{JSON.stringify(fieldsOf(current), null, 2)}</pre>
          {[...files].filter((f) => typeof current[f] === "string" && current[f] !== "").map((field) => (
            <Button key={field} onClick={() => download(current, table, field, current[field] as string).catch(setError)}>
              Download {field} ({current[field] as string})
            </Button>
          ))}
        </section>
      )}

      <section className="panel" aria-label="State as of a moment">
        <h2>As of a moment</h2>
        <form className="toolbar" onSubmit={submitAsOf}>
          <TextField label="Log position or date and time" value={asOfText} onChange={(e) => setAsOfText(e.target.value)} placeholder="42 or 2026-01-31 14:00" error={asOfError} />
          <Button type="submit">Show state</Button>
        </form>
        {past !== undefined && (
          <div data-testid="record-as-of">
            <h3>As of {past.label}</h3>
            {past.state === undefined ? <p>The record did not exist then.</p> : <pre>{JSON.stringify(fieldsOf(past.state), null, 2)}</pre>}
          </div>
        )}
      </section>

      <section className="panel" aria-label="History">
        <h2>History</h2>
        {!mayAudit ? <p className="muted">The record's history is read from the audit log, which your groups do not let you read here.</p> : (
          <>
            <ErrorMessage error={history.error} />
            {history.loading && history.data === undefined ? <Loading /> : (
              <Table
                caption="Every change of this record, oldest first"
                rows={history.data?.events ?? []}
                rowKey={(e) => String(e.version)}
                columns={[
                  { header: "Version", cell: (e) => e.version },
                  { header: "Change", cell: (e) => e.type },
                  { header: "When", cell: (e) => new Date(e.meta.at).toLocaleString() },
                  { header: "By", cell: (e) => e.meta.actor === undefined ? "" : `${e.meta.actor.kind}:${e.meta.actor.id}` },
                  { header: "Position", cell: (e) => e.position },
                  { header: "State", cell: (e) => <Button onClick={() => showAsOf(String(e.position), `version ${e.version} (position ${e.position})`)}>Show as of version {e.version}</Button> }
                ]}
              />
            )}
          </>
        )}
      </section>

      <Dialog title={`Edit record ${id}`} open={editing} onClose={() => setEditing(false)}>
        {current !== undefined && (
          <RecordsEditor table={table} schema={schema} record={current} onCancel={() => setEditing(false)} onSaved={() => { setEditing(false); setNotice("Record saved"); record.reload(); history.reload() }} />
        )}
      </Dialog>
      <Dialog title="Delete this record?" open={deleting} onClose={() => setDeleting(false)}>
        <p>The record is deleted now; its history stays in the log.</p>
        <div className="row">
          <Button variant="danger" onClick={() => void remove()}>Delete</Button>
          <Button onClick={() => setDeleting(false)}>Cancel</Button>
        </div>
      </Dialog>
    </>
  )
}
