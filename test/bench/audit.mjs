// Audit figures for `npm run bench`: a page of 100 events from a 1,000,000-event log (requests/s and
// ratio to raw uWebSockets.js), the server's catch-up of that log into its read models on start, and
// the NDJSON export of the whole log (events/s and the server's memory while it streams).
//
// The log is written straight into a fresh data dir with the BUILT SQLite adapter (fast: batches of
// 500 through group commit) before a server is started on it.
//
//   import { benchAudit } from "./audit.mjs"
//   await benchAudit({ dir, seconds, baselineRps, row, startServer })
//
// Run alone (measures its own baseline): node test/bench/audit.mjs [events]
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { makeSqliteEventStore } from "@machhub/adapters"
import { Effect } from "effect"
import { ADMIN_PASSWORD, waitForAdminLogin } from "./admin.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"

const DOMAINS = ["bench_a", "bench_b", "bench_c", "bench_d"]
const STREAMS = 1000
const BATCH = 500

let sequence = 0
/** UUIDv7-shaped, time-ordered ids (see store-append.mjs for why not core's uuidv7 here). */
const timeOrderedId = (ms) => {
  const hex = ms.toString(16).padStart(12, "0")
  const counter = (sequence++ & 0xfff).toString(16).padStart(3, "0")
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${counter}-${randomUUID().slice(19)}`
}

/**
 * Appends `total` telemetry-like events to `<dataDir>/events.db`: STREAMS streams over four domains,
 * BATCH events per append, 16 appends in flight (group commit). Returns events/s.
 */
export const fillLog = (dataDir, total) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    mkdirSync(dataDir, { recursive: true })
    const store = yield* makeSqliteEventStore({ path: join(dataDir, "events.db") })
    const versions = new Array(STREAMS).fill(0)
    const start = Date.now()
    const started = performance.now()
    let written = 0
    const nextBatch = () => {
      const s = Math.floor(written / BATCH) % STREAMS
      const domain = DOMAINS[s % DOMAINS.length]
      const count = Math.min(BATCH, total - written)
      const events = Array.from({ length: count }, (_, i) => {
        const n = written + i
        const ms = start - total + n // one ms apart, in the past, increasing with position
        return {
          id: timeOrderedId(ms),
          type: n % 10 === 0 ? "AlarmRaised" : "TelemetryRecorded",
          data: { machine: `press-${s}`, sensor: "temperature", value: 20 + (n % 50) / 10, seq: n },
          meta: { domain, actor: { kind: "system", id: "system" }, correlationId: randomUUID(), causationId: null, commandId: null, at: new Date(ms).toISOString() }
        }
      })
      written += count
      const expected = versions[s]
      versions[s] += count
      return store.append(`telemetry-${domain}-${s}`, expected, events)
    }
    while (written < total) {
      const wave = []
      for (let i = 0; i < 16 && written < total; i++) wave.push(nextBatch())
      yield* Effect.all(wave, { concurrency: "unbounded" })
    }
    return Math.round(total / ((performance.now() - started) / 1000))
  })))

const rssOf = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const waitReady = async (url) => {
  for (;;) {
    const response = await fetch(`${url}/readyz`).catch(() => undefined)
    if (response?.status === 200) return
    await sleep(200)
  }
}

/** Reads the whole export, sampling the server's RSS meanwhile. */
const exportAll = async (url, token, pid) => {
  let peak = rssOf(pid)
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50)
  const started = performance.now()
  const response = await fetch(`${url}/api/audit/events/export`, { headers: { authorization: `Bearer ${token}` } })
  let lines = 0
  let bytes = 0
  for await (const chunk of response.body) {
    bytes += chunk.length
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++
  }
  clearInterval(sampler)
  return { lines, bytes, seconds: (performance.now() - started) / 1000, peak }
}

/**
 * `startServer(env)` starts the built server and resolves `{ child, port }` (run.mjs's startProcess).
 * `row(name, value, unit, ratio, note)` adds a line to the table.
 */
export const benchAudit = async ({ dir, seconds, baselineRps, row, startServer, events = 1_000_000 }) => {
  const log = (line) => console.error(line)
  const dataDir = join(dir, "audit-server")
  log(`writing a ${events.toLocaleString("en")}-event log with the SQLite adapter…`)
  const appendRate = await fillLog(dataDir, events)
  log(`  ${appendRate.toLocaleString("en")} events/s appended`)

  const started = performance.now()
  const server = await startServer({ MACHHUB_DATA_DIR: dataDir, MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD })
  const url = `http://127.0.0.1:${server.port}`
  await waitReady(url)
  const catchUp = (performance.now() - started) / 1000
  row(`server start on a ${events.toLocaleString("en")}-event log (read models incl. audit index)`, events / catchUp, "events/s", undefined,
    `${catchUp.toFixed(1)} s until ready`)
  const token = await waitForAdminLogin(url, { intervalMs: 100 })
  const headers = { Authorization: `Bearer ${token}` }

  // "Distinct pages": every request asks for another `from` (random over the log), so each is read from
  // the store and encoded anew. "Same page": one URL again and again, answered from the cache of
  // complete pages (the log is append-only, so a full page never changes).
  const span = events - 1000
  const distinct = (path) => `
math.randomseed(${Date.now() % 100000})
request = function()
  return wrk.format(nil, "${path}&from=" .. math.random(1, ${span}))
end
`
  const pages = [
    { name: `GET /api/audit/events, 100 of ${events.toLocaleString("en")}, distinct pages (no filter)`, path: "/api/audit/events?limit=100", distinct: true },
    { name: "GET /api/audit/events, 100, the same page again (page cache)", path: `/api/audit/events?limit=100&from=${Math.floor(events / 2)}` },
    { name: "GET /api/audit/events, 100, distinct pages, domain filter", path: "/api/audit/events?limit=100&domain=bench_b", distinct: true },
    { name: "GET /api/audit/events, 100, distinct pages, domain + type filter", path: "/api/audit/events?limit=100&domain=bench_c&type=AlarmRaised", distinct: true }
  ]
  for (const page of pages) {
    const probe = page.distinct ? `${page.path}&from=${Math.floor(events / 3)}` : page.path
    const check = await fetch(`${url}${probe}`, { headers })
    const body = await check.json()
    if (check.status !== 200 || body.events.length !== 100) throw new Error(`${probe} answered ${check.status}: ${JSON.stringify(body).slice(0, 200)}`)
    const run = runWrk({ url: `${url}${page.path}`, seconds, headers, ...(page.distinct ? { lua: distinct(page.path) } : {}) })
    row(page.name, run.rps, "req/s", baselineRps === undefined ? undefined : run.rps / baselineRps,
      `p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms${run.non2xx ? `; ${run.non2xx} non-2xx` : ""}`)
  }

  const before = rssOf(server.child.pid)
  const exported = await exportAll(url, token, server.child.pid)
  row(`GET /api/audit/events/export, all ${exported.lines.toLocaleString("en")} events (NDJSON)`, exported.lines / exported.seconds, "events/s", undefined,
    `${(exported.bytes / 1024 / 1024).toFixed(0)} MiB in ${exported.seconds.toFixed(1)} s; server RSS ${Math.round(before / 1024 / 1024)} MiB before, peak ${Math.round(exported.peak / 1024 / 1024)} MiB during`)
  server.child.kill("SIGTERM")
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const events = Number(process.argv[2] ?? 1_000_000)
  const seconds = Number(process.env.BENCH_SECONDS ?? 4)
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-audit-"))
  const children = []
  const startProcess = (script, env, ready) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
      children.push(child)
      let output = ""
      child.stdout.on("data", (chunk) => {
        output += chunk
        const match = ready.exec(output)
        if (match) resolve({ child, port: Number(match[1]) })
      })
      child.stderr.on("data", (chunk) => (output += chunk))
      child.on("exit", (code) => reject(new Error(`${script} exited with ${code}:\n${output.slice(-2000)}`)))
    })
  const here = (path) => fileURLToPath(new URL(path, import.meta.url))
  const rows = []
  try {
    let baselineRps
    if (hasWrk()) {
      const raw = await startProcess(here("./raw-uws.mjs"), {}, /listening (\d+)/)
      baselineRps = runWrk({ url: `http://127.0.0.1:${raw.port}/`, seconds }).rps
      raw.child.kill("SIGTERM")
      rows.push(`raw uWebSockets.js hello (baseline): ${Math.round(baselineRps).toLocaleString("en")} req/s`)
    }
    await benchAudit({
      dir,
      seconds,
      baselineRps,
      events,
      row: (name, value, unit, ratio, note) => rows.push(`${name}: ${Math.round(value).toLocaleString("en")} ${unit}${ratio === undefined ? "" : ` (${(ratio * 100).toFixed(1)}% of raw)`}; ${note}`),
      startServer: (env) => startProcess(here("../../apps/server/dist/main.js"), { HOST: "127.0.0.1", PORT: "0", NATS_URL: "", ...env }, /listening on http:\/\/[^:]+:(\d+)/)
    })
  } finally {
    for (const child of children) child.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
  }
  console.log(rows.join("\n"))
}
