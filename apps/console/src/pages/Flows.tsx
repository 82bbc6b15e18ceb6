import { useState } from "react"
import { api, errorMessage } from "../api"
import { DEFAULT_DOMAIN, useCan, useSession } from "../session"
import { setAuthCookie } from "../components/authCookie"
import { CodeRunner, parseJsonField } from "../components/CodeRunner"
import { RunsPanel } from "../components/RunsPanel"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import "../components/dataPages.css"

interface FlowsFile {
  readonly flows: ReadonlyArray<Record<string, unknown>>
  readonly rev: string
}

/** The names a flow can be run by: its entry nodes (machhub.flow.in). */
const entryNames = (flows: ReadonlyArray<Record<string, unknown>>): Array<string> =>
  flows.filter((n) => n["type"] === "machhub.flow.in" && typeof n["name"] === "string" && n["name"] !== "").map((n) => n["name"] as string)

/**
 * Node-RED flows of the active domain: the flows file (deployed as a whole; flows:read-write), each
 * entry node run with a payload, the runs with a step per node, and a link to Node-RED's editor.
 */
export default function FlowsPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("flows", "read")
  const mayWrite = can("flows", "read-write")
  const file = useLoad(async () => (mayRead ? api<FlowsFile>("GET", "/api/flows") : undefined), [session.domain])
  const [text, setText] = useState<string | undefined>(undefined)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const [entry, setEntry] = useState<string | undefined>(undefined)
  const [ran, setRan] = useState(0)

  if (!mayRead) return <p className="notice data-page">You may not read flows in this domain (permission flows:read).</p>
  const shown = text ?? (file.data === undefined ? "" : JSON.stringify(file.data.flows, null, 2))
  const entries = entryNames(file.data?.flows ?? [])

  const deploy = async () => {
    setMessage(undefined)
    const parsed = parseJsonField(shown)
    if (!parsed.ok || !Array.isArray(parsed.value)) return setMessage({ ok: false, text: parsed.ok ? "The flows file must be a JSON array of nodes" : parsed.message })
    try {
      const answer = await api<{ rev: string }>("POST", "/api/flows", { flows: parsed.value, ...(file.data === undefined ? {} : { rev: file.data.rev }) })
      setMessage({ ok: true, text: `Deployed (revision ${answer.rev})` })
      setText(undefined)
      file.reload()
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }

  return (
    <section className="data-page" aria-labelledby="flows-title">
      <h1 id="flows-title">Flows</h1>
      {!mayWrite ? <p className="muted">Node-RED's editor needs permission flows:read-write.</p>
        : session.domain !== DEFAULT_DOMAIN ? (
          // The editor's own requests carry no Domain header, so it always opens the admin domain's flows.
          <p className="muted">Node-RED's editor opens the flows of domain {DEFAULT_DOMAIN} only; edit this domain's flows file below.</p>
        ) : (
          <p>
            <a href="/flows/" target="_blank" rel="noopener" onClick={() => session.credential !== undefined && setAuthCookie(session.credential.token, "/flows")}>
              Open Node-RED's editor
            </a>{" "}
            <span className="muted">(a new tab; the editor signs in with your token)</span>
          </p>
        )}
      <ErrorMessage error={file.error} />
      <label>
        Flows file {file.data === undefined ? "" : `(revision ${file.data.rev})`}
        <textarea className="code" rows={16} spellCheck={false} readOnly={!mayWrite} value={shown} onChange={(e) => setText(e.target.value)} />
      </label>
      {mayWrite ? <button type="button" onClick={deploy}>Deploy</button> : null}
      {mayWrite && text !== undefined ? <button type="button" onClick={() => setText(undefined)}>Discard changes</button> : null}
      {message === undefined ? null : <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
      <h2>Run a flow</h2>
      {entries.length === 0 ? <p className="muted">No entry node (machhub.flow.in) with a name in the deployed flows.</p> : (
        <>
          <label>
            Entry node
            <select value={entry ?? ""} onChange={(e) => setEntry(e.target.value === "" ? undefined : e.target.value)}>
              <option value="">choose…</option>
              {entries.map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </label>
          {entry === undefined ? null : (
            <CodeRunner label="msg.payload" onRan={() => setRan((n) => n + 1)}
              run={async (payload) => (await api<{ msg: unknown }>("POST", `/machhub/flow/execute/name/${encodeURIComponent(entry)}`, payload ?? null)).msg} />
          )}
        </>
      )}
      <RunsPanel kind="flow" {...(entry === undefined ? {} : { name: entry })} refreshKey={ran} />
    </section>
  )
}
