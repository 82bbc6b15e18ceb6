// Production reporting figures for `npm run bench`:
// - POST /reports/production for BENCH_REPORT_MACHINES machines (50) × BENCH_REPORT_DAYS days (30) of
//   1 Hz signals, grouped by machine and day, every metric: the first report (which summarizes the
//   hours it reads), then p50 and p99 of sequential requests, and the server's memory meanwhile;
// - POST /graphql `{ machines { name currentStates { value } } }` over those machines, req/s with wrk.
// The signals are machines reporting their Execution state and part counter once a second, as the
// historian keeps them (event tags: a point per change, none for a second that repeats the last
// value): each machine cycles (in cycle 200 to 260 s, then READY 40 to 64 s, by machine), its counter
// rising by one at each cycle's end and starting again from 1 each day, and its agent answers
// UNAVAILABLE 20 minutes a day (a gap). Every value goes through POST /machhub/tag/batch, 4 batches in
// flight. The totals are checked against what was sent.
//
//   import { benchReports } from "./reports.mjs"
//   await benchReports({ url, token, seconds, row, serverPid })
//
// Run alone against a running server: BENCH_URL=http://127.0.0.1:8080 node test/bench/reports.mjs
import { readFileSync, writeFileSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { waitForAdminLogin } from "./admin.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"
import { call } from "./call.mjs"

const SECOND = 1000
const MINUTE = 60 * SECOND
const DAY = 1440 * MINUTE
const BATCH = 10_000
const IN_FLIGHT = 4
const REQUESTS = Number(process.env.BENCH_REPORT_REQUESTS ?? 20)
const WARM_UP = 5


/** The server's resident memory now and at its peak, in MB (Linux), or undefined. */
const memoryOf = (pid) => {
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024
    return { rss: kb("VmRSS"), peak: kb("VmHWM") }
  } catch {
    return undefined
  }
}

/** The CPU time the server process has used, in ms (Linux), or undefined. */
const cpuOf = (pid) => {
  if (pid === undefined) return undefined
  try {
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second), after the name in parentheses.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/**
 * One machine's signals over [start, start + days): its Execution changes and counter values at whole
 * seconds, and how many parts a report over the whole period counts (the first value is the
 * baseline, so it counts none).
 */
const machineSignals = (m, name, start, days) => {
  const inCycle = (200 + (m % 7) * 10) * SECOND
  const cycle = inCycle + (40 + (m % 5) * 6) * SECOND
  const gapStart = ((m * 37) % 1380) * MINUTE
  const values = []
  let cycles = 0
  for (let day = 0; day < days; day++) {
    const dayStart = start + day * DAY
    let count = 0
    let inGap = false
    for (let t = dayStart; t + cycle <= dayStart + DAY; t += cycle) {
      // The agent cannot read the controller for about 20 minutes: no cycles then.
      if (t >= dayStart + gapStart && t < dayStart + gapStart + 20 * MINUTE) {
        if (!inGap) values.push({ topic: `bench/${name}/execution`, value: "UNAVAILABLE", timestamp: t })
        inGap = true
        continue
      }
      inGap = false
      values.push({ topic: `bench/${name}/execution`, value: "ACTIVE", timestamp: t })
      values.push({ topic: `bench/${name}/execution`, value: "READY", timestamp: t + inCycle })
      values.push({ topic: `bench/${name}/parts`, value: ++count, timestamp: t + inCycle })
      cycles++
    }
  }
  return { values, parts: cycles - 1 }
}

export const benchReports = async ({ url, token, seconds, row, serverPid, machines = Number(process.env.BENCH_REPORT_MACHINES ?? 50), days = Number(process.env.BENCH_REPORT_DAYS ?? 30) }) => {
  const lastDay = new Date(Math.floor(Date.now() / DAY) * DAY - DAY)
  const start = lastDay.getTime() - (days - 1) * DAY
  const iso = (t) => new Date(t).toISOString().slice(0, 10)
  const filled = performance.now()
  let points = 0
  let expectedParts = 0
  // Per machine, its batches in time order (the historian records a change against the value before it).
  const machineBatches = []
  for (let m = 0; m < machines; m++) {
    const name = `bench-m${m}`
    for (const role of ["execution", "parts"]) await call(url, token, "PUT", `/api/tags/bench/${name}/${role}`, { access: "RW", historize: { type: "event" } })
    await call(url, token, "POST", "/api/reporting/machines", {
      name, group: `line-${m % 5}`, tags: { execution: `bench/${name}/execution`, partCount: `bench/${name}/parts` }, idealCycleSeconds: 200,
      shifts: [{ name: "day", start: "06:00", end: "18:00" }, { name: "night", start: "18:00", end: "06:00" }]
    })
    const { values, parts } = machineSignals(m, name, start, days)
    expectedParts += parts
    const batches = []
    for (let i = 0; i < values.length; i += BATCH) batches.push(values.slice(i, i + BATCH))
    machineBatches.push(batches)
  }
  // IN_FLIGHT machines at once, each machine's batches one after the other.
  let next = 0
  const send = async () => {
    while (next < machineBatches.length) {
      for (const batch of machineBatches[next++]) {
        await call(url, token, "POST", "/machhub/tag/batch", batch)
        points += batch.length
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, send))
  const seeded = `${points.toLocaleString("en")} values (each a change of a 1 Hz signal) for ${machines} machines × ${days} days`
  console.error(`  wrote ${seeded} in ${((performance.now() - filled) / 1000).toFixed(1)} s`)

  const body = {
    startDay: iso(start), endDay: iso(lastDay.getTime()),
    data: ["totalParts", "timeInCycle", "utilizationRate", "availability", "performance", "quality", "oee"].map((metric) => ({ metric })),
    groupBy: [{ group: "machine" }, { group: "day" }], flatten: true
  }
  // The peak RSS starts again from now (Linux: clear_refs 5), so the peak after the reports is theirs, not the seeding's.
  try {
    if (serverPid !== undefined) writeFileSync(`/proc/${serverPid}/clear_refs`, "5")
  } catch {
    // Not Linux, or not allowed: the peak may then be the seeding's.
  }
  const before = memoryOf(serverPid)
  const coldStart = performance.now()
  const check = await call(url, token, "POST", "/reports/production", body)
  const cold = performance.now() - coldStart
  if (check.items.length !== machines * days) throw new Error(`the report answered ${check.items.length} rows, not ${machines * days}`)
  if (check.aggregate.totalParts !== expectedParts) throw new Error(`the report counted ${check.aggregate.totalParts} parts, not ${expectedParts}`)
  // A few unmeasured requests first: the first report leaves its garbage to be collected.
  for (let i = 0; i < WARM_UP; i++) await call(url, token, "POST", "/reports/production", body)
  const times = []
  const cpuBefore = cpuOf(serverPid)
  for (let i = 0; i < REQUESTS; i++) {
    const began = performance.now()
    await call(url, token, "POST", "/reports/production", body)
    times.push(performance.now() - began)
  }
  times.sort((a, b) => a - b)
  const cpuAfter = cpuOf(serverPid)
  // Wall time depends on what else the cores run; the server's own CPU time per report does not.
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? "" : `; server CPU ${((cpuAfter - cpuBefore) / REQUESTS).toFixed(0)} ms per report`
  const after = memoryOf(serverPid)
  const memory = before === undefined || after === undefined
    ? ""
    : `; server RSS ${before.rss.toFixed(0)} MB before the first report, at most ${after.peak.toFixed(0)} MB while answering (+${(after.peak - before.rss).toFixed(0)} MB: hour summaries kept and garbage not yet collected), ${after.rss.toFixed(0)} MB after`
  row(`POST /reports/production, ${machines} machines × ${days} days of 1 Hz signals by machine and day`, times[Math.floor(REQUESTS / 2)], "ms p50", undefined,
    `${REQUESTS} sequential requests after a first one of ${cold.toFixed(0)} ms (which summarizes every hour it reads) and ${WARM_UP} unmeasured; p99 ${times[REQUESTS - 1].toFixed(0)} ms${cpu}; ${seeded}${memory}; target p50 <= 200 ms`)

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
