import { useMemo, useState } from "react"
import type uPlot from "uplot"
import { api, apiRaw, errorMessage } from "../api"
import { useCan, useSession } from "../session"
import { UPlotChart } from "../components/UPlotChart"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import { downloadBlob } from "../components/download"
import "../components/dataPages.css"

interface Bucketed {
  readonly topic: string
  readonly bucket: string
  readonly points: ReadonlyArray<Record<string, unknown> & { t: string }>
}

const RANGES: ReadonlyArray<[string, number]> = [
  ["15 minutes", 15 * 60_000],
  ["1 hour", 3_600_000],
  ["6 hours", 6 * 3_600_000],
  ["24 hours", 24 * 3_600_000],
  ["7 days", 7 * 24 * 3_600_000],
  ["30 days", 30 * 24 * 3_600_000]
]
const BUCKETS = ["", "1s", "10s", "1m", "5m", "15m", "1h", "1d"] as const
const AGGREGATES = ["avg", "min", "max", "last", "sum", "count", "median"] as const
/** The CSV export names widths and aggregates its own way (MACHHUB's sampleRate and aggregation). */
const SAMPLE_RATE: Record<string, string> = { "": "", "1s": "1_second", "10s": "10_second", "1m": "1_minute", "5m": "5_minute", "15m": "15_minute", "1h": "1_hour", "1d": "1_day" }
const EXPORT_AGGREGATION: Record<string, string> = { avg: "mean", min: "min", max: "max", sum: "sum", median: "median", last: "none", count: "none" }

/** A datetime-local input's value for an instant (local time, to the minute). */
const localInput = (ms: number): string => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

interface Query {
  readonly topics: ReadonlyArray<string>
  readonly start: number
  readonly end: number
  readonly bucket: string
  readonly agg: string
}

/** Several tags' buckets on one time axis: the union of the bucket starts, null where a tag has none. */
const align = (answers: ReadonlyArray<Bucketed>, agg: string): uPlot.AlignedData => {
  const xs = [...new Set(answers.flatMap((a) => a.points.map((p) => Date.parse(p.t) / 1000)))].sort((a, b) => a - b)
  const index = new Map(xs.map((x, i) => [x, i]))
  const columns = answers.map((answer) => {
    const column: Array<number | null> = xs.map(() => null)
    for (const point of answer.points) {
      const value = point[agg]
      column[index.get(Date.parse(point.t) / 1000)!] = typeof value === "number" ? value : null
    }
    return column
  })
  return [xs, ...columns]
}

/**
 * Historian charts: pick historized tags (several on one chart), a range and a bucket width, read
 * each tag's buckets from `GET /api/historian/query`, and export the same selection as CSV from the
 * server's export route.
 */
export default function HistorianPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("historian", "read")
  const list = useLoad(async () => (mayRead ? api<Array<string>>("GET", "/machhub/historian/list") : undefined), [session.domain])
  const [selected, setSelected] = useState<ReadonlyArray<string>>([])
  const [rangeMs, setRangeMs] = useState<number | "custom">(3_600_000)
  const [customStart, setCustomStart] = useState(() => localInput(Date.now() - 3_600_000))
  const [customEnd, setCustomEnd] = useState(() => localInput(Date.now()))
  const [bucket, setBucket] = useState<string>("")
  const [agg, setAgg] = useState<string>("avg")
  const [query, setQuery] = useState<Query | undefined>(undefined)
  const [exportError, setExportError] = useState<string | undefined>(undefined)

  const current = (): Query => {
    const end = rangeMs === "custom" ? new Date(customEnd).getTime() : Date.now()
    const start = rangeMs === "custom" ? new Date(customStart).getTime() : end - rangeMs
    return { topics: selected, start, end, bucket, agg }
  }

  const chart = useLoad(async () => {
    if (query === undefined) return undefined
    const answers = await Promise.all(query.topics.map((topic) => {
      const params = new URLSearchParams({ topic, start: new Date(query.start).toISOString(), end: new Date(query.end).toISOString(), agg: query.agg, fill: "null" })
      if (query.bucket !== "") params.set("bucket", query.bucket)
      return api<Bucketed>("GET", `/api/historian/query?${params}`)
    }))
    return { answers, data: align(answers, query.agg) }
  }, [query])

  const series = useMemo(() => (chart.data?.answers ?? []).map((a) => ({ label: a.topic })), [chart.data])

  if (!mayRead) return <p className="notice data-page">You may not read the historian in this domain (permission historian:read).</p>

  const exportCsv = async () => {
    setExportError(undefined)
    const q = current()
    try {
      const response = await apiRaw("POST", "/machhub/historian/export/aggregated", {
        topics: q.topics,
        startDate: new Date(q.start).toISOString(),
        endDate: new Date(q.end).toISOString(),
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        sampleRate: SAMPLE_RATE[q.bucket] ?? "",
        aggregation: q.bucket === "" ? "" : (EXPORT_AGGREGATION[q.agg] ?? "mean")
      })
      downloadBlob(await response.blob(), "historian.csv")
    } catch (failure) {
      setExportError(errorMessage(failure))
    }
  }

  const toggle = (topic: string) => setSelected((s) => (s.includes(topic) ? s.filter((t) => t !== topic) : [...s, topic]))

  return (
    <section className="data-page" aria-labelledby="historian-title">
      <h1 id="historian-title">Historian</h1>
      <ErrorMessage error={list.error} />
      <fieldset>
        <legend>Historized tags</legend>
        {(list.data ?? []).length === 0 ? <p>{list.loading ? "Loading…" : "No historized tags: define one on the Tags page with historize set."}</p> : null}
        {(list.data ?? []).map((topic) => (
          <label key={topic} className="check">
            <input type="checkbox" checked={selected.includes(topic)} onChange={() => toggle(topic)} /> {topic}
          </label>
        ))}
      </fieldset>
      <div className="inline-form">
        <label>
          Range
          <select value={String(rangeMs)} onChange={(e) => setRangeMs(e.target.value === "custom" ? "custom" : Number(e.target.value))}>
            {RANGES.map(([label, ms]) => <option key={ms} value={ms}>last {label}</option>)}
            <option value="custom">custom…</option>
          </select>
        </label>
        {rangeMs === "custom" ? (
          <>
            <label>From <input type="datetime-local" value={customStart} onChange={(e) => setCustomStart(e.target.value)} /></label>
            <label>To <input type="datetime-local" value={customEnd} onChange={(e) => setCustomEnd(e.target.value)} /></label>
          </>
        ) : null}
        <label>
          Bucket
          <select value={bucket} onChange={(e) => setBucket(e.target.value)}>
            {BUCKETS.map((b) => <option key={b} value={b}>{b === "" ? "automatic" : b}</option>)}
          </select>
        </label>
        <label>
          Aggregate
          <select value={agg} onChange={(e) => setAgg(e.target.value)}>
            {AGGREGATES.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
        <button type="button" disabled={selected.length === 0} onClick={() => setQuery(current())}>Show chart</button>
        <button type="button" disabled={selected.length === 0} onClick={exportCsv}>Export CSV</button>
      </div>
      {exportError === undefined ? null : <p className="error" role="alert">{exportError}</p>}
      <ErrorMessage error={chart.error} />
      {chart.loading && query !== undefined ? <p>Loading…</p> : null}
      {chart.data === undefined || chart.data === null ? null : (
        <>
          <p className="muted">Bucket {chart.data.answers[0]?.bucket ?? ""}, {agg} per bucket.</p>
          <UPlotChart title={`Historian: ${selected.join(", ")}`} data={chart.data.data} series={series} />
        </>
      )}
    </section>
  )
}
