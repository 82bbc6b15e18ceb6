import { useMemo, useState, type FormEvent } from "react"
import type uPlot from "uplot"
import { api } from "../api"
import { useCan, useSession } from "../session"
import { ErrorMessage } from "../components/Messages"
import { UPlotChart } from "../components/UPlotChart"
import { useLoad } from "../components/useLoad"
import "../components/dataPages.css"

const METRICS = [
  "totalParts", "goodParts", "rejectedParts", "timeInCycle", "allTime", "plannedTime", "downtime", "utilizationRate",
  "availability", "performance", "quality", "oee", "averagePartsPerHour", "idealPartsPerHour"
] as const
const DEFAULT_METRICS = ["totalParts", "goodParts", "rejectedParts", "utilizationRate", "oee"]
const GROUPS = ["machine", "machineGroup", "day", "hour", "shift"] as const
const RATES = new Set(["utilizationRate", "availability", "performance", "quality", "oee"])
const TIMES = new Set(["timeInCycle", "allTime", "plannedTime", "downtime"])

interface ReportingMachine {
  readonly name: string
  readonly group?: string
  readonly idealCycleSeconds?: number
  readonly tags: Record<string, string>
}
type Row = Record<string, unknown>
interface Report {
  readonly items: ReadonlyArray<Row>
  readonly aggregate: Row
}

/** A metric as a person reads it: rates in percent, times in hours and minutes. */
const formatMetric = (metric: string, value: unknown): string => {
  if (typeof value !== "number") return value === undefined || value === null ? "—" : String(value)
  if (RATES.has(metric)) return `${(value * 100).toFixed(1)} %`
  if (TIMES.has(metric)) {
    const minutes = Math.round(value / 60_000)
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`
  }
  return Number.isInteger(value) ? String(value) : value.toFixed(2)
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/**
 * Production reports (MachineMetrics): pick days, a grouping and metrics, read `POST /reports/production`,
 * and see the groups as a table and a bar chart of one metric. Needs reports:read.
 */
export default function ReportsPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("reports", "read")
  const machines = useLoad(async () => (can("machines", "read") ? api<Array<ReportingMachine>>("GET", "/api/reporting/machines") : undefined), [session.domain])
  const [startDay, setStartDay] = useState(() => isoDay(Date.now() - 6 * 86_400_000))
  const [endDay, setEndDay] = useState(() => isoDay(Date.now()))
  const [group, setGroup] = useState<string>("machine")
  const [metrics, setMetrics] = useState<ReadonlyArray<string>>(DEFAULT_METRICS)
  const [charted, setCharted] = useState("totalParts")
  const [request, setRequest] = useState<Record<string, unknown> | undefined>(undefined)
  const report = useLoad(async () => (request === undefined ? undefined : api<Report>("POST", "/reports/production", request)), [request])

  const chart = useMemo(() => {
    const items = report.data?.items ?? []
    const labels = items.map((row) => String(row[group] ?? ""))
    const data: uPlot.AlignedData = [items.map((_, i) => i), items.map((row) => (typeof row[charted] === "number" ? (row[charted] as number) : null))]
    return { labels, data, series: [{ label: charted }] }
  }, [report.data, group, charted])

  if (!mayRead) return <p className="notice data-page">You may not read reports in this domain (permission reports:read).</p>

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setRequest({ startDay, endDay, data: metrics.map((metric) => ({ metric })), ...(group === "" ? {} : { groupBy: [{ group }] }) })
    if (!metrics.includes(charted) && metrics[0] !== undefined) setCharted(metrics[0])
  }
  const toggle = (metric: string) => setMetrics((m) => (m.includes(metric) ? m.filter((x) => x !== metric) : [...m, metric]))
  const shown = (report.data === undefined ? [] : metrics)

  return (
    <section className="data-page" aria-labelledby="reports-title">
      <h1 id="reports-title">Production reports</h1>
      <p className="muted">
        {machines.data === undefined ? "" : `${machines.data.length} reporting machine${machines.data.length === 1 ? "" : "s"}: ${machines.data.map((m) => m.name).join(", ") || "none registered"}`}
      </p>
      <form onSubmit={submit} aria-label="Report">
        <div className="inline-form">
          <label>From day <input type="date" required value={startDay} onChange={(e) => setStartDay(e.target.value)} /></label>
          <label>To day <input type="date" required value={endDay} onChange={(e) => setEndDay(e.target.value)} /></label>
          <label>
            Group by
            <select value={group} onChange={(e) => setGroup(e.target.value)}>
              <option value="">nothing (one roll-up)</option>
              {GROUPS.map((g) => <option key={g} value={g}>{g}</option>)}
            </select>
          </label>
        </div>
        <fieldset>
          <legend>Metrics</legend>
          {METRICS.map((metric) => (
            <label key={metric} className="check"><input type="checkbox" checked={metrics.includes(metric)} onChange={() => toggle(metric)} /> {metric}</label>
          ))}
        </fieldset>
        <button type="submit" disabled={metrics.length === 0}>Run report</button>
      </form>
      <ErrorMessage error={report.error} />
      {report.loading && request !== undefined ? <p>Loading…</p> : null}
      {report.data === undefined ? null : (
        <>
          <table className="report">
            <caption>Production {startDay} to {endDay}{group === "" ? "" : ` by ${group}`}</caption>
            <thead>
              <tr>{group === "" ? null : <th scope="col">{group}</th>}{shown.map((m) => <th key={m} scope="col">{m}</th>)}</tr>
            </thead>
            <tbody>
              {group === "" ? null : report.data.items.map((row, i) => (
                <tr key={i}>
                  <th scope="row">{String(row[group] ?? "")}</th>
                  {shown.map((m) => <td key={m}>{formatMetric(m, row[m])}</td>)}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>{group === "" ? null : <th scope="row">All</th>}{shown.map((m) => <td key={m}>{formatMetric(m, report.data!.aggregate[m])}</td>)}</tr>
            </tfoot>
          </table>
          {group === "" || report.data.items.length === 0 ? null : (
            <>
              <label>
                Chart metric
                <select value={charted} onChange={(e) => setCharted(e.target.value)}>
                  {shown.map((m) => <option key={m} value={m}>{m}</option>)}
                </select>
              </label>
              <UPlotChart title={`${charted} by ${group}`} data={chart.data} series={chart.series} categories={chart.labels} bars />
            </>
          )}
        </>
      )}
    </section>
  )
}
