import { useState, type FormEvent } from "react"
import { api, errorMessage } from "../api"
import { useCan, useSession } from "../session"
import { CodeRunner, parseJsonField } from "../components/CodeRunner"
import { RunsPanel } from "../components/RunsPanel"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import "../components/dataPages.css"

interface ProcessView {
  readonly name: string
  readonly enabled: boolean
  readonly log_enabled: boolean
  readonly language: "typescript" | "javascript"
  readonly code: string
  readonly triggers: ReadonlyArray<unknown>
  readonly inputs: ReadonlyArray<unknown>
  readonly outputs: ReadonlyArray<unknown>
  readonly description?: string
  readonly version: number
  readonly owner: string
  readonly updated_at: string
}

const NEW_CODE = "// context.inputs, context.trigger, context.timestamp\nreturn { ok: true }\n"
const pretty = (value: unknown) => JSON.stringify(value, null, 2)

/**
 * Processes of the active domain: list, edit the definition (code, triggers, inputs, outputs as
 * JSON; processes:read-write), run now with an input, and the runs with their steps and logs.
 */
export default function ProcessesPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("processes", "read")
  const mayWrite = can("processes", "read-write")
  const list = useLoad(async () => (mayRead ? api<Array<ProcessView>>("GET", "/api/processes") : undefined), [session.domain])
  const [chosen, setChosen] = useState<string | "new" | undefined>(undefined)
  const [ran, setRan] = useState(0)

  if (!mayRead) return <p className="notice data-page">You may not read processes in this domain (permission processes:read).</p>
  const current = list.data?.find((p) => p.name === chosen)

  return (
    <section className="data-page split" aria-labelledby="processes-title">
      <h1 id="processes-title">Processes</h1>
      <ErrorMessage error={list.error} />
      <nav aria-label="Processes" className="side-list">
        <ul>
          {(list.data ?? []).map((p) => (
            <li key={p.name}>
              <button type="button" className={p.name === chosen ? "link current" : "link"} aria-current={p.name === chosen} onClick={() => setChosen(p.name)}>
                {p.name}{p.enabled ? "" : " (disabled)"}
              </button>
            </li>
          ))}
        </ul>
        {list.data?.length === 0 ? <p className="muted">No processes yet.</p> : null}
        {mayWrite ? <button type="button" onClick={() => setChosen("new")}>New process</button> : null}
      </nav>
      <div className="detail">
        {chosen === "new" ? (
          <ProcessEditor key="new" mayWrite onSaved={(name) => { list.reload(); setChosen(name) }} />
        ) : current === undefined ? (
          <p className="muted">Pick a process.</p>
        ) : (
          <>
            <ProcessEditor key={`${current.name}-${current.updated_at}`} existing={current} mayWrite={mayWrite}
              onSaved={() => list.reload()} onDeleted={() => { list.reload(); setChosen(undefined) }} />
            <CodeRunner label="Input" onRan={() => setRan((n) => n + 1)}
              run={(input) => api<unknown>("POST", "/machhub/processes/execute", { name: current.name, ...(input === undefined ? {} : { input }) })} />
            <RunsPanel kind="process" name={current.name} refreshKey={ran} />
          </>
        )}
      </div>
    </section>
  )
}

const ProcessEditor = ({ existing, mayWrite, onSaved, onDeleted }: {
  existing?: ProcessView
  mayWrite: boolean
  onSaved: (name: string) => void
  onDeleted?: () => void
}) => {
  const [name, setName] = useState(existing?.name ?? "")
  const [enabled, setEnabled] = useState(existing?.enabled ?? true)
  const [logEnabled, setLogEnabled] = useState(existing?.log_enabled ?? true)
  const [language, setLanguage] = useState(existing?.language ?? "typescript")
  const [code, setCode] = useState(existing?.code ?? NEW_CODE)
  const [description, setDescription] = useState(existing?.description ?? "")
  const [triggers, setTriggers] = useState(pretty(existing?.triggers ?? [{ type: "manual", config: {} }]))
  const [inputs, setInputs] = useState(pretty(existing?.inputs ?? []))
  const [outputs, setOutputs] = useState(pretty(existing?.outputs ?? []))
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined)

  const save = async (event: FormEvent) => {
    event.preventDefault()
    setMessage(undefined)
    const errors: Record<string, string> = {}
    const parsed: Record<string, unknown> = {}
    for (const [field, text] of [["triggers", triggers], ["inputs", inputs], ["outputs", outputs]] as const) {
      const one = parseJsonField(text)
      if (!one.ok) errors[field] = one.message
      else if (one.value !== undefined && !Array.isArray(one.value)) errors[field] = "must be a JSON array"
      else parsed[field] = one.value ?? []
    }
    setFieldErrors(errors)
    if (Object.keys(errors).length > 0) return
    const body = { name, enabled, log_enabled: logEnabled, language, code, ...parsed, ...(description === "" ? {} : { description }) }
    try {
      if (existing === undefined) await api("POST", "/api/processes", body)
      else await api("PUT", `/api/processes/${encodeURIComponent(existing.name)}`, body)
      setMessage({ ok: true, text: "Saved" })
      onSaved(name)
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }
  const remove = async () => {
    if (existing === undefined || !confirm(`Remove process ${existing.name}? Its triggers stop; its runs stay in the log.`)) return
    try {
      await api("DELETE", `/api/processes/${encodeURIComponent(existing.name)}`)
      onDeleted?.()
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }

  const jsonField = (field: "triggers" | "inputs" | "outputs", label: string, value: string, set: (v: string) => void) => (
    <label>
      {label} (JSON array)
      <textarea className="code" rows={4} spellCheck={false} value={value} onChange={(e) => set(e.target.value)}
        aria-invalid={fieldErrors[field] !== undefined} aria-describedby={`${field}-error`} />
      {fieldErrors[field] === undefined ? null : <span id={`${field}-error`} className="error">{fieldErrors[field]}</span>}
    </label>
  )

  return (
    <form onSubmit={save} aria-label="Process definition">
      <h2>{existing === undefined ? "New process" : existing.name}</h2>
      {existing === undefined ? null : <p className="muted">Code version {existing.version}, saved by {existing.owner} {new Date(existing.updated_at).toLocaleString()}</p>}
      <fieldset disabled={!mayWrite}>
        {existing === undefined ? <label>Name <input required value={name} onChange={(e) => setName(e.target.value)} /></label> : null}
        <label className="check"><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled (triggers run it)</label>
        <label className="check"><input type="checkbox" checked={logEnabled} onChange={(e) => setLogEnabled(e.target.checked)} /> Keep logged lines with runs</label>
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
          <textarea className="code" rows={12} spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        {jsonField("triggers", "Triggers", triggers, setTriggers)}
        {jsonField("inputs", "Inputs", inputs, setInputs)}
        {jsonField("outputs", "Outputs", outputs, setOutputs)}
        {mayWrite ? <button type="submit">Save</button> : null}
        {mayWrite && existing !== undefined ? <button type="button" className="danger" onClick={remove}>Remove</button> : null}
      </fieldset>
      {mayWrite ? null : <p className="muted">Editing needs permission processes:read-write.</p>}
      {message === undefined ? null : <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
    </form>
  )
}
