import { useState, type FormEvent } from "react"
import { api, apiRaw, errorMessage } from "../api"
import { useSession } from "../session"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import { downloadBlob } from "../components/download"
import { playerHref, sessionOfStream, type AuditEvent, type AuditPage } from "../components/auditEvents"
import "../components/dataPages.css"

const FILTERS = ["stream", "type", "actor", "since", "until", "domain"] as const
type Filters = Record<(typeof FILTERS)[number], string>
const EMPTY: Filters = { stream: "", type: "", actor: "", since: "", until: "", domain: "" }
const HINTS: Record<(typeof FILTERS)[number], string> = {
  stream: "category-domain-id",
  type: "e.g. LoginFailed",
  actor: "kind:id, e.g. user:…",
  since: "ISO instant",
  until: "ISO instant",
  domain: "another domain (auditors of all domains)"
}

const queryOf = (filters: Filters, extra: Record<string, string> = {}): string => {
  const params = new URLSearchParams()
  for (const name of FILTERS) if (filters[name].trim() !== "") params.set(name, filters[name].trim())
  for (const [name, value] of Object.entries(extra)) params.set(name, value)
  return params.toString()
}

/**
 * The audit log (audit:read): the event log filtered by stream, type, actor and time, paged by log
 * position; one stream's whole history; NDJSON export of the same filter; recorded SSH sessions open
 * in the session player.
 */
export default function AuditPage() {
  const session = useSession()
  const [draft, setDraft] = useState<Filters>(EMPTY)
  const [filters, setFilters] = useState<Filters>(EMPTY)
  const [limit, setLimit] = useState("50")
  const [from, setFrom] = useState<ReadonlyArray<number>>([1])
  const [stream, setStream] = useState<string | undefined>(undefined)
  const [open, setOpen] = useState<string | undefined>(undefined)
  const [exportError, setExportError] = useState<string | undefined>(undefined)
  const position = from[from.length - 1] ?? 1
  const page = useLoad(() => api<AuditPage>("GET", `/api/audit/events?${queryOf(filters, { from: String(position), limit })}`), [filters, position, limit, session.domain])

  const apply = (event: FormEvent) => {
    event.preventDefault()
    setFilters(draft)
    setFrom([1])
  }
  const exportNdjson = async () => {
    setExportError(undefined)
    try {
      const response = await apiRaw("GET", `/api/audit/events/export?${queryOf(filters)}`)
      downloadBlob(await response.blob(), "events.ndjson")
    } catch (failure) {
      setExportError(errorMessage(failure))
    }
  }
  const domainOf = (event: AuditEvent) => event.meta.domain

  return (
    <section className="data-page" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form onSubmit={apply} className="inline-form" aria-label="Filters">
        {FILTERS.map((name) => (
          <label key={name}>
            {name[0]!.toUpperCase() + name.slice(1)} <input name={`filter-${name}`} value={draft[name]} placeholder={HINTS[name]} onChange={(e) => setDraft((d) => ({ ...d, [name]: e.target.value }))} />
          </label>
        ))}
        <label>
          Per page
          <select value={limit} onChange={(e) => { setLimit(e.target.value); setFrom([1]) }}>
            {["25", "50", "100", "500"].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <button type="submit">Apply filters</button>
        <button type="button" onClick={() => { setDraft(EMPTY); setFilters(EMPTY); setFrom([1]) }}>Clear</button>
        <button type="button" onClick={exportNdjson}>Export NDJSON</button>
      </form>
      {exportError === undefined ? null : <p className="error" role="alert">{exportError}</p>}
      <ErrorMessage error={page.error} />
      <table className="audit">
        <caption>Events from position {position}</caption>
        <thead>
          <tr><th scope="col">Position</th><th scope="col">At</th><th scope="col">Type</th><th scope="col">Stream</th><th scope="col">Actor</th><th scope="col"><span className="sr-only">Details</span></th></tr>
        </thead>
        <tbody>
          {(page.data?.events ?? []).length === 0 ? <tr><td colSpan={6}>{page.loading ? "Loading…" : "No events."}</td></tr> : null}
          {(page.data?.events ?? []).map((event) => {
            const ssh = event.type === "TerminalOpened" ? sessionOfStream(event.stream, domainOf(event)) : undefined
            return (
              <EventRow key={event.id} event={event} open={open === event.id} onToggle={() => setOpen(open === event.id ? undefined : event.id)}
                onStream={() => setStream(event.stream)} player={ssh === undefined ? undefined : playerHref(ssh, domainOf(event))} />
            )
          })}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={from.length <= 1} onClick={() => setFrom((f) => f.slice(0, -1))}>Previous page</button>
        <button type="button" disabled={page.data?.next === null || page.data === undefined} onClick={() => page.data?.next != null && setFrom((f) => [...f, page.data!.next!])}>Next page</button>
      </div>
      {stream === undefined ? null : <StreamHistory stream={stream} onClose={() => setStream(undefined)} />}
    </section>
  )
}

const EventRow = ({ event, open, onToggle, onStream, player }: { event: AuditEvent; open: boolean; onToggle: () => void; onStream: () => void; player: string | undefined }) => (
  <>
    <tr data-type={event.type}>
      <td>{event.position}</td>
      <td>{new Date(event.meta.at).toLocaleString()}</td>
      <td>{event.type}</td>
      <td><button type="button" className="link" onClick={onStream} title="This stream's whole history">{event.stream}</button></td>
      <td>{event.meta.actor.kind}:{event.meta.actor.id}</td>
      <td>
        <button type="button" aria-expanded={open} onClick={onToggle}>{open ? "Hide" : "Details"}</button>
        {player === undefined ? null : <> <a href={player}>Play session</a></>}
      </td>
    </tr>
    {open ? <tr><td colSpan={6}><pre>{JSON.stringify({ data: event.data, meta: event.meta }, null, 2)}</pre></td></tr> : null}
  </>
)

const StreamHistory = ({ stream, onClose }: { stream: string; onClose: () => void }) => {
  const history = useLoad(() => api<AuditPage & { stream: string }>("GET", `/api/audit/streams/${encodeURIComponent(stream)}`), [stream])
  return (
    <section aria-labelledby="stream-title" className="stream-history">
      <h2 id="stream-title">History of {stream}</h2>
      <button type="button" onClick={onClose}>Close history</button>
      <ErrorMessage error={history.error} />
      <ol>
        {(history.data?.events ?? []).map((event) => (
          <li key={event.id}>
            <strong>v{event.version} {event.type}</strong> <span className="muted">{new Date(event.meta.at).toLocaleString()} by {event.meta.actor.kind}:{event.meta.actor.id}</span>
            <pre>{JSON.stringify(event.data, null, 2)}</pre>
          </li>
        ))}
      </ol>
      {history.data?.next == null ? null : <p className="muted">Showing the first {history.data.events.length} versions.</p>}
    </section>
  )
}
