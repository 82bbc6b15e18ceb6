import { useState, type FormEvent } from "react"
import { api, errorMessage } from "../api"
import { useCan, useSession } from "../session"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import { useLiveTags, type LiveStatus } from "../components/useLiveTags"
import "../components/dataPages.css"

interface TagDefinition {
  readonly topic: string
  readonly description?: string
  readonly access: "R" | "RW"
  readonly historize?: { readonly type: "event" | "timeseries"; readonly samplingTime?: string; readonly retention?: string }
  readonly autocreated: boolean
  readonly version: number
  readonly updatedAt: string
}

/** A topic in a path: each level percent-encoded, the slashes kept (the routes take the rest of the path). */
export const topicPath = (topic: string): string => topic.split("/").map(encodeURIComponent).join("/")

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: "connecting to /mqtt…",
  live: "live",
  reconnecting: "connection lost, reconnecting…",
  refused: "refused by the broker",
  closed: "closed"
}

const show = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

/** A value typed in the form: JSON when it parses (numbers, booleans, objects), text otherwise. */
const parseTyped = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/**
 * Tags of the active domain: their definitions, each one's value live over MQTT, a form to publish a
 * value (tags:read-write; a tag of access R refuses clients) and one to define a tag (historize
 * settings only with historian:read-write).
 */
export default function TagsPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("tags", "read")
  const mayWrite = can("tags", "read-write")
  const mayHistorize = can("historian", "read-write")
  const tags = useLoad(async () => (mayRead ? api<Array<TagDefinition>>("GET", "/api/tags") : undefined), [session.domain])
  const live = useLiveTags(session.domain, mayRead)
  const [filter, setFilter] = useState("")

  if (!mayRead) return <p className="notice data-page">You may not read tags in this domain (permission tags:read).</p>

  const defined = new Map((tags.data ?? []).map((tag) => [tag.topic, tag]))
  const topics = [...new Set([...defined.keys(), ...live.values.keys()])].filter((t) => t.toLowerCase().includes(filter.toLowerCase())).sort()

  return (
    <section className="data-page" aria-labelledby="tags-title">
      <h1 id="tags-title">Tags</h1>
      <p>
        MQTT: <strong data-testid="mqtt-status">{STATUS_TEXT[live.status]}</strong>
        {live.error === undefined ? null : <span className="error"> ({live.error})</span>}
      </p>
      <ErrorMessage error={tags.error} />
      <label>
        Filter topics <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Plant1/LineA" />
      </label>
      <table className="tags">
        <caption className="sr-only">Tags of this domain with their live values</caption>
        <thead>
          <tr>
            <th scope="col">Topic</th>
            <th scope="col">Value</th>
            <th scope="col">Received</th>
            <th scope="col">Access</th>
            <th scope="col">Historized</th>
          </tr>
        </thead>
        <tbody>
          {topics.length === 0 ? (
            <tr><td colSpan={5}>{tags.loading ? "Loading…" : "No tags yet."}</td></tr>
          ) : (
            topics.map((topic) => {
              const tag = defined.get(topic)
              const value = live.values.get(topic)
              return (
                <tr key={topic} data-topic={topic}>
                  <td>{topic}{tag?.description === undefined ? null : <div className="muted">{tag.description}</div>}</td>
                  <td className="value" data-testid={`value-${topic}`}>{value === undefined ? "—" : show(value.value)}</td>
                  <td>{value === undefined ? "" : value.retained ? "last known" : new Date(value.at).toLocaleTimeString()}</td>
                  <td>{tag?.access ?? "RW"}</td>
                  <td>{tag?.historize === undefined ? "no" : `${tag.historize.type}${tag.historize.samplingTime === undefined ? "" : ` every ${tag.historize.samplingTime}`}`}</td>
                </tr>
              )
            })
          )}
        </tbody>
      </table>
      {mayWrite ? <PublishForm tags={defined} /> : <p className="muted">Publishing values needs permission tags:read-write.</p>}
      {mayWrite ? <DefineForm mayHistorize={mayHistorize} onDefined={tags.reload} /> : null}
    </section>
  )
}

const PublishForm = ({ tags }: { tags: ReadonlyMap<string, TagDefinition> }) => {
  const [topic, setTopic] = useState("")
  const [value, setValue] = useState("")
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const readOnly = tags.get(topic)?.access === "R"

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setMessage(undefined)
    try {
      await api("POST", `/machhub/tag/${topicPath(topic)}`, { value: parseTyped(value) })
      setMessage({ ok: true, text: `Published to ${topic}` })
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }

  return (
    <form onSubmit={submit} className="inline-form" aria-labelledby="publish-title">
      <h2 id="publish-title">Publish a value</h2>
      <label>
        Topic <input name="topic" required value={topic} onChange={(e) => setTopic(e.target.value)} list="tag-topics" />
      </label>
      <datalist id="tag-topics">{[...tags.keys()].map((t) => <option key={t} value={t} />)}</datalist>
      <label>
        Value (JSON or text) <input name="value" required value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit" disabled={readOnly || topic === ""} title={readOnly ? "This tag's access is R: clients may only read it" : undefined}>
        Publish
      </button>
      {readOnly ? <span className="muted"> read-only tag</span> : null}
      {message === undefined ? null : <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
    </form>
  )
}

const DefineForm = ({ mayHistorize, onDefined }: { mayHistorize: boolean; onDefined: () => void }) => {
  const [topic, setTopic] = useState("")
  const [description, setDescription] = useState("")
  const [access, setAccess] = useState<"R" | "RW">("RW")
  const [historize, setHistorize] = useState<"" | "event" | "timeseries">("")
  const [samplingTime, setSamplingTime] = useState("1m")
  const [retention, setRetention] = useState("")
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setMessage(undefined)
    const body: Record<string, unknown> = { access, ...(description === "" ? {} : { description }) }
    if (mayHistorize) {
      body["historize"] = historize === "" ? null : {
        type: historize,
        ...(historize === "timeseries" ? { samplingTime } : {}),
        ...(retention === "" ? {} : { retention })
      }
    }
    try {
      await api("PUT", `/api/tags/${topicPath(topic)}`, body)
      setMessage({ ok: true, text: `Defined ${topic}` })
      onDefined()
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }

  return (
    <form onSubmit={submit} className="inline-form" aria-labelledby="define-title">
      <h2 id="define-title">Define a tag</h2>
      <label>Topic <input name="define-topic" required value={topic} onChange={(e) => setTopic(e.target.value)} /></label>
      <label>Description <input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
      <label>
        Access
        <select value={access} onChange={(e) => setAccess(e.target.value as "R" | "RW")}>
          <option value="RW">RW (clients may write)</option>
          <option value="R">R (read-only for clients)</option>
        </select>
      </label>
      <label>
        Historize
        <select value={historize} disabled={!mayHistorize} onChange={(e) => setHistorize(e.target.value as "" | "event" | "timeseries")}
          title={mayHistorize ? undefined : "Needs permission historian:read-write"}>
          <option value="">not historized</option>
          <option value="event">every change (event)</option>
          <option value="timeseries">time series</option>
        </select>
      </label>
      {historize === "timeseries" ? <label>Sampling time <input value={samplingTime} onChange={(e) => setSamplingTime(e.target.value)} /></label> : null}
      {historize === "" ? null : <label>Retention <input value={retention} placeholder="e.g. 30d (empty: keep)" onChange={(e) => setRetention(e.target.value)} /></label>}
      <button type="submit">Define</button>
      {message === undefined ? null : <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
    </form>
  )
}
