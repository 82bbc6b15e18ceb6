import { useState } from "react"
import { api } from "../api"
import { useLoad } from "./useLoad"
import { ErrorMessage } from "./Messages"

export interface RunSummary {
  readonly id: string
  readonly kind: "process" | "function" | "flow"
  readonly name: string
  readonly status: "running" | "finished" | "failed"
  readonly trigger: unknown
  readonly actor: { readonly kind: string; readonly id: string }
  readonly input?: unknown
  readonly result?: unknown
  readonly reason?: string
  readonly started_at: string
  readonly ended_at?: string
}

interface RunDetail extends Omit<RunSummary, "steps"> {
  readonly steps: ReadonlyArray<{ index: number; step: string; detail?: unknown; at: string }>
  readonly logs: ReadonlyArray<{ level: string; message: string; at: number }>
}

const json = (value: unknown): string => JSON.stringify(value, null, 2)

/** The runs of one process, function or flow (or all of a kind), newest first, each opening to its steps and logs. */
export const RunsPanel = ({ kind, name, refreshKey }: { kind: RunSummary["kind"]; name?: string; refreshKey: number }) => {
  const [status, setStatus] = useState("")
  const [open, setOpen] = useState<string | undefined>(undefined)
  const runs = useLoad(() => {
    const params = new URLSearchParams({ kind, limit: "50" })
    if (name !== undefined) params.set("name", name)
    if (status !== "") params.set("status", status)
    return api<Array<RunSummary>>("GET", `/api/runs?${params}`)
  }, [kind, name, status, refreshKey])

  return (
    <section className="runs" aria-label="Runs">
      <h2>Runs{name === undefined ? "" : ` of ${name}`}</h2>
      <div className="inline-form">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            <option value="running">running</option>
            <option value="finished">finished</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <button type="button" onClick={runs.reload}>Refresh</button>
      </div>
      <ErrorMessage error={runs.error} />
      <table>
        <caption className="sr-only">Runs, newest first</caption>
        <thead>
          <tr><th scope="col">Started</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">By</th><th scope="col"><span className="sr-only">Details</span></th></tr>
        </thead>
        <tbody>
          {(runs.data ?? []).length === 0 ? <tr><td colSpan={6}>{runs.loading ? "Loading…" : "No runs."}</td></tr> : null}
          {(runs.data ?? []).map((run) => (
            <RunRow key={run.id} run={run} open={open === run.id} onToggle={() => setOpen(open === run.id ? undefined : run.id)} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

const RunRow = ({ run, open, onToggle }: { run: RunSummary; open: boolean; onToggle: () => void }) => (
  <>
    <tr data-run={run.id}>
      <td>{new Date(run.started_at).toLocaleString()}</td>
      <td>{run.name}</td>
      <td className={`status-${run.status}`}>{run.status}{run.reason === undefined ? "" : `: ${run.reason}`}</td>
      <td>{typeof run.trigger === "object" && run.trigger !== null && "type" in run.trigger ? String((run.trigger as { type: unknown }).type) : ""}</td>
      <td>{run.actor.kind}:{run.actor.id}</td>
      <td><button type="button" aria-expanded={open} onClick={onToggle}>{open ? "Hide" : "Steps and logs"}</button></td>
    </tr>
    {open ? (
      <tr>
        <td colSpan={6}><RunDetails id={run.id} /></td>
      </tr>
    ) : null}
  </>
)

const RunDetails = ({ id }: { id: string }) => {
  const run = useLoad(() => api<RunDetail>("GET", `/api/runs/${encodeURIComponent(id)}`), [id])
  if (run.error !== undefined) return <ErrorMessage error={run.error} />
  if (run.data === undefined) return <p>Loading…</p>
  const detail = run.data
  return (
    <div className="run-detail">
      {detail.input === undefined ? null : <><h3>Input</h3><pre>{json(detail.input)}</pre></>}
      {detail.result === undefined ? null : <><h3>Result</h3><pre>{json(detail.result)}</pre></>}
      {detail.reason === undefined ? null : <><h3>Reason</h3><pre className="error">{detail.reason}</pre></>}
      <h3>Steps</h3>
      {detail.steps.length === 0 ? <p className="muted">No steps.</p> : (
        <ol>{detail.steps.map((s) => <li key={s.index}>{s.step} <span className="muted">{new Date(s.at).toLocaleTimeString()}</span>{s.detail === undefined ? null : <pre>{json(s.detail)}</pre>}</li>)}</ol>
      )}
      <h3>Log</h3>
      {detail.logs.length === 0 ? <p className="muted">Nothing logged.</p> : (
        <pre className="log">{detail.logs.map((l) => `${new Date(l.at).toISOString()} ${l.level.padEnd(5)} ${l.message}`).join("\n")}</pre>
      )}
    </div>
  )
}
