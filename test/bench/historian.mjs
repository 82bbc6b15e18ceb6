// Tag values and historian figures for `npm run bench`:
// - HTTP batch ingest: POST /machhub/tag/batch of 10,000 numbers over 100 historized (event) tags,
//   4 requests in flight, values/s from sent to recorded and queryable;
// - NATS ingest: a service publishing numbers on mh.tag.<domain>.<topic> over the same 100 tags, to
//   a second server with NATS_URL (its own nats-server), at most 40,000 values not yet taken in,
//   values/s from published to recorded and queryable (skipped without a nats-server binary);
// - queries on one tag holding a year of 1-minute points (525,600): a 24 h raw range
//   (PATCH /machhub/historian, 1,440 points), 30 days in 1-hour buckets with avg,min,max
//   (GET /api/historian/query, 720 buckets) and the latest 100 (PATCH /machhub/historian/last),
//   each as req/s and p50 with wrk (64 connections), beside raw uWebSockets.js when a baseline is given.
//
//   import { benchHistorian } from "./historian.mjs"
//   await benchHistorian({ url, token, seconds, baselineRps, row })
//
// Run alone against the built server it starts: node test/bench/historian.mjs
// (or against a running one: BENCH_URL=http://127.0.0.1:8080 node test/bench/historian.mjs).
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { connect as connectNats } from "@nats-io/transport-node"
import { ADMIN_PASSWORD, waitForAdminLogin } from "./admin.mjs"
import { cpuSeconds, startBenchServer } from "./benchServer.mjs"
import { findNatsServer, startNatsServer } from "./nats-server.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"
import { call } from "./call.mjs"

const MINUTE = 60_000
const YEAR_POINTS = 525_600
const BATCH = 10_000
const INGEST_TOPICS = 100
const IN_FLIGHT = 4


const defineTag = (url, token, topic, historize) => call(url, token, "PUT", `/api/tags/${topic}`, { access: "RW", historize })

const NATS_WINDOW = 10_000
const NATS_WINDOWS = 4
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Values a service publishes on NATS, taken in by a server of its own (NATS_URL on a private
 * nats-server): values/s from the first publish until the last value is recorded and queryable.
 * Core NATS has no flow control, so the publisher keeps at most NATS_WINDOWS windows of values ahead
 * of what the server has taken in (the last value of a window read back with GET /machhub/tag/value).
 */
export const benchNatsIngest = async ({ seconds }) => {
  const bin = findNatsServer()
  if (bin === undefined) throw new Error("nats-server is not installed")
  const natsServer = await startNatsServer(bin, { dirPrefix: "machhub-bench-tag-nats-" })
  let server
  let bus
  try {
    server = await startBenchServer({ env: { NATS_URL: natsServer.url } })
    const { url, token } = server
    for (let t = 0; t < INGEST_TOPICS; t++) await defineTag(url, token, `bench/nats/${t}`, { type: "event", retention: "1d" })
    bus = await connectNats({ servers: natsServer.url })
    const subjects = Array.from({ length: INGEST_TOPICS }, (_, t) => `mh.tag.machhub_admin.bench.nats.${t}`)
    const encoder = new TextEncoder()
    const valueOf = async (topic) => {
      const response = await fetch(`${url}/machhub/tag/value/${topic}`, { headers: { authorization: `Bearer ${token}` } })
      return response.status === 200 ? (await response.json()).value : undefined
    }
    const taken = async (sequence) => {
      const topic = `bench/nats/${sequence % INGEST_TOPICS}`
      while (((await valueOf(topic)) ?? -1) < sequence) await sleep(5)
    }
    let sequence = 0
    const windowEnds = []
    const cpuBefore = cpuSeconds(server.pid)
    const started = performance.now()
    const deadline = started + seconds * 1000
    while (performance.now() < deadline) {
      if (windowEnds.length >= NATS_WINDOWS) await taken(windowEnds.shift())
      const timestamp = Date.now()
      for (let i = 0; i < NATS_WINDOW; i++, sequence++) {
        bus.publish(subjects[sequence % INGEST_TOPICS], encoder.encode(`{"value":${sequence},"timestamp":${timestamp}}`))
      }
      windowEnds.push(sequence - 1)
      await bus.flush()
    }
    await taken(sequence - 1)
    const elapsed = (performance.now() - started) / 1000
    const cpuMicrosPerValue = ((cpuSeconds(server.pid) - cpuBefore) * 1e6) / sequence
    // Queryable: the historian holds the last value (reads write what is queued first).
    const last = await call(url, token, "PATCH", "/machhub/historian/last", { topic: `bench/nats/${(sequence - 1) % INGEST_TOPICS}`, limit: 1 })
    if (last[0]?.value !== sequence - 1) throw new Error(`the last value published over NATS is not in the historian: ${JSON.stringify(last)}`)
    return { rate: sequence / elapsed, cpuMicrosPerValue }
  } finally {
    await bus?.close()
    await server?.stop()
    await natsServer.stop()
  }
}

export const benchHistorian = async ({ url, token, seconds, baselineRps, row, serverPid }) => {
  // Ingest: batches already serialized, so the figure is the server's, not this process's JSON.stringify.
  for (let t = 0; t < INGEST_TOPICS; t++) await defineTag(url, token, `bench/ingest/${t}`, { type: "event", retention: "1d" })
  let sequence = 0
  const nextBody = () => {
    const base = Date.now()
    const values = []
    for (let i = 0; i < BATCH; i++, sequence++) values.push({ topic: `bench/ingest/${sequence % INGEST_TOPICS}`, value: sequence, timestamp: base })
    return JSON.stringify(values)
  }
  const bodies = Array.from({ length: 8 }, nextBody)
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  let sent = 0
  const cpuBefore = serverPid === undefined ? undefined : cpuSeconds(serverPid)
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, lane) => {
    for (let n = lane; performance.now() < deadline; n += IN_FLIGHT) {
      const response = await fetch(`${url}/machhub/tag/batch`, { method: "POST", headers, body: bodies[n % bodies.length] })
      if (response.status !== 200) throw new Error(`batch: ${response.status} ${await response.text()}`)
      await response.arrayBuffer()
      sent += BATCH
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  const cpu = cpuBefore === undefined ? "" : `; server CPU ${(((cpuSeconds(serverPid) - cpuBefore) * 1e6) / sent).toFixed(1)} µs/value`
  // Recorded and queryable: the last batch's points are there (reads flush what is queued).
  const last = await call(url, token, "PATCH", "/machhub/historian/last", { topic: "bench/ingest/0", limit: 1 })
  if (last.length !== 1) throw new Error("ingested values are not queryable")
  row("HTTP batch ingest (10,000 values/request, 100 event tags)", sent / elapsed, "values/s", undefined,
    `${IN_FLIGHT} requests in flight; recorded in historian.db before each answer${cpu}; target >= 100,000`)

  const nats = await benchNatsIngest({ seconds }).catch((error) => {
    console.error(`  (no NATS ingest figure: ${error.message})`)
    return undefined
  })
  if (nats !== undefined) {
    row("NATS ingest (a service on mh.tag.<domain>.<topic>, 100 event tags)", nats.rate, "values/s", undefined,
      `at most ${(NATS_WINDOW * NATS_WINDOWS).toLocaleString("en")} values not yet taken in; published to recorded and queryable; server CPU ${nats.cpuMicrosPerValue.toFixed(1)} µs/value; target >= 100,000`)
  }

  // A year of one-minute points on one tag, ending now.
  await defineTag(url, token, "bench/year", { type: "timeseries", samplingTime: "1m" })
  const end = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE
  const start = end - YEAR_POINTS * MINUTE
  const filled = performance.now()
  for (let offset = 0; offset < YEAR_POINTS; offset += BATCH) {
    const values = []
    for (let i = offset; i < Math.min(offset + BATCH, YEAR_POINTS); i++) values.push({ topic: "bench/year", value: 20 + Math.sin(i / 720) * 5, timestamp: start + i * MINUTE })
    await call(url, token, "POST", "/machhub/tag/batch", values)
  }
  console.error(`  wrote ${YEAR_POINTS.toLocaleString("en")} one-minute points in ${((performance.now() - filled) / 1000).toFixed(1)} s`)

  const day = new Date(end - 24 * 60 * MINUTE).toISOString()
  const month = new URLSearchParams({ topic: "bench/year", start: new Date(end - 30 * 24 * 60 * MINUTE).toISOString(), end: new Date(end).toISOString(), bucket: "1h", agg: "avg,min,max" })
  const check = await call(url, token, "GET", `/api/historian/query?${month}`)
  if (check.points.length !== 720) throw new Error(`30 days in 1 h buckets answered ${check.points.length} buckets`)
  const raw = await call(url, token, "PATCH", "/machhub/historian", { topic: "bench/year", start_time: day, range: "24h" })
  if (raw.length !== 1440) throw new Error(`a 24 h range answered ${raw.length} points`)

  if (!hasWrk()) {
    console.error("  (no historian query figures: wrk is not installed)")
    return
  }
  const queries = [
    { name: "PATCH /machhub/historian, 24 h raw (1,440 of 525,600 points)", method: "PATCH", path: "/machhub/historian", body: { topic: "bench/year", start_time: day, range: "24h" } },
    { name: "GET /api/historian/query, 30 days in 1 h buckets avg,min,max", method: "GET", path: `/api/historian/query?${month}`, target: "target p50 <= 20 ms" },
    { name: "PATCH /machhub/historian/last, limit 100", method: "PATCH", path: "/machhub/historian/last", body: { topic: "bench/year", limit: 100, sort: "desc" } }
  ]
  for (const query of queries) {
    const options = {
      url: `${url}${query.path}`,
      seconds,
      method: query.method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      ...(query.body === undefined ? {} : { body: JSON.stringify(query.body) })
    }
    // Throughput with 64 connections; latency with one, where p50 is the query's own time, not a queue's.
    const loaded = runWrk(options)
    const alone = runWrk({ ...options, connections: 1 })
    const non2xx = loaded.non2xx + alone.non2xx
    row(query.name, loaded.rps, "req/s", baselineRps === undefined ? undefined : loaded.rps / baselineRps,
      `64 conns; 1 conn: p50 ${alone.p50.toFixed(2)} ms, p99 ${alone.p99.toFixed(2)} ms${query.target ? `; ${query.target}` : ""}${non2xx ? `; ${non2xx} non-2xx` : ""}`)
  }
}

// Run alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 4)
  const rows = []
  const row = (name, value, unit, ratio, note = "") => {
    rows.push(`| ${name} | ${Math.round(value).toLocaleString("en")} ${unit} | ${ratio === undefined ? "" : `${(ratio * 100).toFixed(1)}%`} | ${note} |`)
    console.error(`  measured ${name}: ${Math.round(value).toLocaleString("en")} ${unit}`)
  }
  let child
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-historian-"))
  try {
    let url = process.env.BENCH_URL
    if (url === undefined) {
      const main = fileURLToPath(new URL("../../apps/server/dist/main.js", import.meta.url))
      child = spawn(process.execPath, [main], {
        env: { ...process.env, HOST: "127.0.0.1", PORT: "0", NATS_URL: "", MACHHUB_DATA_DIR: dir, MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD },
        stdio: ["ignore", "pipe", "inherit"]
      })
      url = await new Promise((resolve, reject) => {
        let output = ""
        child.stdout.on("data", (chunk) => {
          output += chunk
          const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output)
          if (match) resolve(`http://127.0.0.1:${match[1]}`)
        })
        child.on("exit", (code) => reject(new Error(`the server exited with ${code}`)))
      })
    }
    await benchHistorian({ url, token: await waitForAdminLogin(url), seconds, baselineRps: undefined, row, serverPid: child?.pid })
    console.log(["", "| measurement | value | ratio | notes |", "|---|---:|---:|---|", ...rows, ""].join("\n"))
  } finally {
    child?.kill("SIGTERM")
    rmSync(dir, { recursive: true, force: true })
  }
}
