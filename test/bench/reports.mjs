// Production reporting figures for `npm run bench`:
// - POST /reports/production for BENCH_REPORT_MACHINES machines (50) × BENCH_REPORT_DAYS days (30),
//   grouped by machine and day, every metric: p50 and p99 of sequential requests, and how much the
//   server's peak RSS grew while answering them;
// - POST /graphql `{ machines { name currentStates { value } } }` over those machines, req/s with wrk.
// The signals are a machine sending its state at 1 Hz, as the historian keeps it (event tags: a point
// per change): 45 s in cycle and 15 s ready each minute, the part counter +1 per cycle, reset daily.
//
//   import { benchReports } from "./reports.mjs"
//   await benchReports({ url, token, seconds, row, serverPid })
//
// Run alone against a running server: BENCH_URL=http://127.0.0.1:8080 node test/bench/reports.mjs
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { waitForAdminLogin } from "./admin.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"

const MINUTE = 60_000
const DAY = 1440 * MINUTE
const BATCH = 10_000
const REQUESTS = 20

const call = async (url, token, method, path, body) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`)
  return text.length === 0 ? undefined : JSON.parse(text)
}

/** The server's peak resident memory in MB (Linux), or undefined. */
const peakRss = (pid) => {
  if (pid === undefined) return undefined
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match ? Number(match[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

export const benchReports = async ({ url, token, seconds, row, serverPid, machines = Number(process.env.BENCH_REPORT_MACHINES ?? 50), days = Number(process.env.BENCH_REPORT_DAYS ?? 30) }) => {
  const lastDay = new Date(Math.floor(Date.now() / DAY) * DAY - DAY)
  const start = lastDay.getTime() - (days - 1) * DAY
  const iso = (t) => new Date(t).toISOString().slice(0, 10)
  const filled = performance.now()
  let points = 0
  for (let m = 0; m < machines; m++) {
    const name = `bench-m${m}`
    for (const role of ["execution", "parts"]) await call(url, token, "PUT", `/api/tags/bench/${name}/${role}`, { access: "RW", historize: { type: "event" } })
    await call(url, token, "POST", "/api/reporting/machines", {
      name, group: `line-${m % 5}`, tags: { execution: `bench/${name}/execution`, partCount: `bench/${name}/parts` }, idealCycleSeconds: 40,
      shifts: [{ name: "day", start: "06:00", end: "18:00" }, { name: "night", start: "18:00", end: "06:00" }]
    })
    let values = []
    const flush = async () => {
      if (values.length === 0) return
      await call(url, token, "POST", "/machhub/tag/batch", values)
      points += values.length
      values = []
    }
    for (let minute = 0; minute < days * 1440; minute++) {
      const t = start + minute * MINUTE
      values.push({ topic: `bench/${name}/execution`, value: "ACTIVE", timestamp: t })
      values.push({ topic: `bench/${name}/execution`, value: "READY", timestamp: t + 45_000 })
      values.push({ topic: `bench/${name}/parts`, value: minute % 1440, timestamp: t + 45_000 })
      if (values.length + 3 > BATCH) await flush()
    }
    await flush()
  }
  console.error(`  wrote ${points.toLocaleString("en")} points for ${machines} machines × ${days} days in ${((performance.now() - filled) / 1000).toFixed(1)} s`)

  const body = {
    startDay: iso(start), endDay: iso(lastDay.getTime()),
    data: ["totalParts", "timeInCycle", "utilizationRate", "availability", "performance", "quality", "oee"].map((metric) => ({ metric })),
    groupBy: [{ group: "machine" }, { group: "day" }], flatten: true
  }
  const check = await call(url, token, "POST", "/reports/production", body)
  if (check.items.length !== machines * days) throw new Error(`the report answered ${check.items.length} rows, not ${machines * days}`)
  const before = peakRss(serverPid)
  const times = []
  for (let i = 0; i < REQUESTS; i++) {
    const began = performance.now()
    await call(url, token, "POST", "/reports/production", body)
    times.push(performance.now() - began)
  }
  times.sort((a, b) => a - b)
  const after = peakRss(serverPid)
  const memory = before === undefined || after === undefined ? "" : `; server peak RSS ${after.toFixed(0)} MB (+${(after - before).toFixed(0)} MB while answering)`
  row(`POST /reports/production, ${machines} machines × ${days} days by machine and day`, times[Math.floor(REQUESTS / 2)], "ms p50", undefined,
    `${REQUESTS} sequential requests, p99 ${times[REQUESTS - 1].toFixed(0)} ms; ${points.toLocaleString("en")} stored points${memory}; target p50 <= 200 ms`)

  if (!hasWrk()) {
    console.error("  (no GraphQL figure: wrk is not installed)")
    return
  }
  const graphql = runWrk({
    url: `${url}/graphql`, seconds, method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ query: "{ machines { name currentStates { value } } }" })
  })
  row(`POST /graphql { machines { name currentStates { value } } }, ${machines} machines`, graphql.rps, "req/s", undefined,
    `64 conns; p50 ${graphql.p50.toFixed(2)} ms, p99 ${graphql.p99.toFixed(2)} ms${graphql.non2xx ? `; ${graphql.non2xx} non-2xx (1,000 requests a minute per domain, then 429)` : ""}`)
}

// Run alone, against a running server.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = process.env.BENCH_URL
  if (url === undefined) throw new Error("set BENCH_URL to a running server (its admin password in MACHHUB_ADMIN_PASSWORD)")
  const rows = []
  const row = (name, value, unit, _ratio, note = "") => rows.push(`| ${name} | ${value.toFixed(1)} ${unit} | | ${note} |`)
  await benchReports({ url, token: await waitForAdminLogin(url), seconds: Number(process.env.BENCH_SECONDS ?? 4), row, serverPid: process.env.BENCH_SERVER_PID === undefined ? undefined : Number(process.env.BENCH_SERVER_PID) })
  console.log(["", "| measurement | value | ratio | notes |", "|---|---:|---:|---|", ...rows, ""].join("\n"))
}
