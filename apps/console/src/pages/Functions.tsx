import { useState, type FormEvent } from "react"
import { api, errorMessage } from "../api"
import { useCan, useSession } from "../session"
import { CodeRunner } from "../components/CodeRunner"
import { RunsPanel } from "../components/RunsPanel"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import "../components/dataPages.css"

interface FunctionView {
  readonly name: string
  readonly language: "typescript" | "javascript"
  readonly code: string
  readonly description?: string
  readonly version: number
  readonly owner: string
  readonly updated_at: string
}

const NEW_CODE = "// context.payload is the call's payload\nreturn { echo: context.payload }\n"

/** Functions of the active domain: list, edit (functions:read-write), call with a payload, and their runs. */
export default function FunctionsPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("functions", "read")
  const mayWrite = can("functions", "read-write")
  const list = useLoad(async () => (mayRead ? api<Array<FunctionView>>("GET", "/api/functions") : undefined), [session.domain])
  const [chosen, setChosen] = useState<string | "new" | undefined>(undefined)
  const [ran, setRan] = useState(0)

  if (!mayRead) return <p className="notice data-page">You may not read functions in this domain (permission functions:read).</p>
  const current = list.data?.find((f) => f.name === chosen)

  return (
    <section className="data-page split" aria-labelledby="functions-title">
      <h1 id="functions-title">Functions</h1>
      <ErrorMessage error={list.error} />
      <nav aria-label="Functions" className="side-list">
        <ul>
          {(list.data ?? []).map((f) => (
            <li key={f.name}>
              <button type="button" className={f.name === chosen ? "link current" : "link"} aria-current={f.name === chosen} onClick={() => setChosen(f.name)}>{f.name}</button>
            </li>
          ))}
        </ul>
        {list.data?.length === 0 ? <p className="muted">No functions yet.</p> : null}
        {mayWrite ? <button type="button" onClick={() => setChosen("new")}>New function</button> : null}
      </nav>
      <div className="detail">
        {chosen === "new" ? (
          <FunctionEditor key="new" mayWrite onSaved={(name) => { list.reload(); setChosen(name) }} />
        ) : current === undefined ? (
          <p className="muted">Pick a function.</p>
        ) : (
          <>
            <FunctionEditor key={`${current.name}-${current.version}-${current.updated_at}`} existing={current} mayWrite={mayWrite}
              onSaved={() => list.reload()} onDeleted={() => { list.reload(); setChosen(undefined) }} />
            <CodeRunner label="Payload" onRan={() => setRan((n) => n + 1)}
              run={async (payload) => (await api<{ result: unknown }>("POST", "/machhub/function/execute", { name: current.name, ...(payload === undefined ? {} : { payload }) })).result} />
            <RunsPanel kind="function" name={current.name} refreshKey={ran} />
          </>
        )}
      </div>
    </section>
  )
}

const FunctionEditor = ({ existing, mayWrite, onSaved, onDeleted }: {
  existing?: FunctionView
  mayWrite: boolean
  onSaved: (name: string) => void
  onDeleted?: () => void
}) => {
  const [name, setName] = useState(existing?.name ?? "")
  const [language, setLanguage] = useState(existing?.language ?? "typescript")
  const [code, setCode] = useState(existing?.code ?? NEW_CODE)
  const [description, setDescription] = useState(existing?.description ?? "")
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined)

  const save = async (event: FormEvent) => {
    event.preventDefault()
    setMessage(undefined)
    const body = { name, language, code, ...(description === "" ? {} : { description }) }
    try {
      if (existing === undefined) await api("POST", "/api/functions", body)
      else await api("PUT", `/api/functions/${encodeURIComponent(existing.name)}`, body)
      setMessage({ ok: true, text: "Saved" })
      onSaved(name)
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }
  const remove = async () => {
    if (existing === undefined || !confirm(`Remove function ${existing.name}? Its runs stay in the log.`)) return
    try {
      await api("DELETE", `/api/functions/${encodeURIComponent(existing.name)}`)
      onDeleted?.()
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }

  return (
    <form onSubmit={save} aria-label="Function definition">
      <h2>{existing === undefined ? "New function" : existing.name}</h2>
      {existing === undefined ? null : <p className="muted">Version {existing.version}, saved by {existing.owner} {new Date(existing.updated_at).toLocaleString()}</p>}
      <fieldset disabled={!mayWrite}>
        {existing === undefined ? <label>Name <input name="function-name" required value={name} onChange={(e) => setName(e.target.value)} /></label> : null}
        <label>
          Language
          <select value={language} onChange={(e) => setLanguage(e.target.value as "typescript" | "javascript")}>
            <option value="typescript">TypeScript</option>
            <option value="javascript">JavaScript</option>
          </select>
        </label>
        <label>Description <input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        <label>
          Code: the body of <code>async function execute(context)</code>
          <textarea name="code" className="code" rows={12} spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        {mayWrite ? <button type="submit">Save</button> : null}
        {mayWrite && existing !== undefined ? <button type="button" className="danger" onClick={remove}>Remove</button> : null}
      </fieldset>
      {mayWrite ? null : <p className="muted">Editing needs permission functions:read-write.</p>}
      {message === undefined ? null : <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
    </form>
  )
}
