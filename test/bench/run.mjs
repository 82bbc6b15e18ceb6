// `npm run bench`: one table of figures measured in this run on this machine, each HTTP figure with
// its ratio to raw uWebSockets.js measured in the same run.
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchStoreAppend } from "./store-append.mjs"
import { benchRecords } from "./records.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 4)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const ADMIN_PASSWORD = "bench-admin-password"

const startProcess = (args, env, ready) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (chunk) => {
      output += chunk
      const match = ready.exec(output)
      if (match) resolve({ child, port: Number(match[1]) })
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}:\n${output}`)))
  })

const waitForAdmin = async (url) => {
  for (let i = 0; i < 400; i++) {
    const response = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD })
    }).catch(() => undefined)
    if (response?.status === 200) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error("the bootstrap admin never became able to log in")
}

const loginToken = async (url) => {
  const response = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD })
  })
  return (await response.json()).tkn
}

const issueKey = async (url, token) => {
  const response = await fetch(`${url}/api/api-key/generate`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: "bench", features: [{ name: "collections", action: "read", scope: "domain" }] })
  })
  if (response.status !== 200) {
    console.error(`  (no API key figure: issuing a key answered ${response.status})`)
    return undefined
  }
  return (await response.json()).token
}

const rows = []
const row = (name, value, unit, ratio, note = "") => {
  rows.push({ name, value, unit, ratio, note })
  console.error(`  measured ${name}: ${Math.round(value).toLocaleString("en")} ${unit}`)
}

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-"))
  const children = []
  try {
    if (!hasWrk()) {
      console.error("wrk is not installed, so the HTTP figures are skipped. Install it with:\n  apt-get update && apt-get install -y wrk\n")
    } else {
      console.error(`HTTP figures: wrk -t1 -c64 -d${seconds}s, ${ROUNDS} interleaved rounds, servers on 127.0.0.1 (2 cores shared with wrk)`)
      const raw = await startProcess([here("./raw-uws.mjs")], {}, /listening (\d+)/)
      children.push(raw.child)
      const server = await startProcess([here("../../apps/server/dist/main.js")], {
        HOST: "127.0.0.1",
        PORT: "0",
        NATS_URL: "",
        MACHHUB_DATA_DIR: join(dir, "server"),
        MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
        // The per-key rate limit would otherwise be what the API-key figure measures.
        MACHHUB_KEY_RATE_LIMIT: "1000000"
      }, /listening on http:\/\/[^:]+:(\d+)/)
      children.push(server.child)
      const url = `http://127.0.0.1:${server.port}`
      await waitForAdmin(url)
      const token = await loginToken(url)
      const key = await issueKey(url, token)

      // wrk shares the 2 cores with the servers, so single runs wander by ±20%. Each target is run
      // ROUNDS times interleaved with the baseline, and medians are compared.
      const targets = [
        { name: "raw uWebSockets.js hello (baseline)", url: `http://127.0.0.1:${raw.port}/` },
        { name: "GET /healthz", url: `${url}/healthz`, target: "target >= 70%" },
        { name: "GET /api/me, JWT (authenticated)", url: `${url}/api/me`, headers: { Authorization: `Bearer ${token}` }, target: "target >= 60%" },
        ...(key === undefined ? [] : [{ name: "GET /api/me, API key (authenticated)", url: `${url}/api/me`, headers: { "X-Machhub-Api-Key": key }, target: "target >= 60%" }])
      ]
      const runs = targets.map(() => [])
      for (let round = 0; round < ROUNDS; round++) {
        targets.forEach((t, i) => runs[i].push(runWrk({ url: t.url, headers: t.headers ?? {}, seconds })))
      }
      const median = (list, pick) => [...list].sort((a, b) => pick(a) - pick(b))[Math.floor(list.length / 2)]
      const baselineRps = median(runs[0], (r) => r.rps).rps
      targets.forEach((t, i) => {
        const m = median(runs[i], (r) => r.rps)
        const non2xx = runs[i].reduce((n, r) => n + r.non2xx, 0)
        row(t.name, m.rps, "req/s", m.rps / baselineRps,
          `median of ${ROUNDS}; p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms${t.target ? `; ${t.target}` : ""}${non2xx ? `; ${non2xx} non-2xx` : ""}`)
      })
      raw.child.kill("SIGTERM")

      const login = runWrk({
        url: `${url}/auth/login`,
        seconds,
        // scrypt runs on libuv's 4 threads: more connections only queue. Its cost is the point.
        connections: 4,
        timeoutSeconds: 10,
        method: "POST",
        body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
        headers: { "Content-Type": "application/json" }
      })
      row("POST /auth/login (scrypt N=2^17, r=8)", login.rps, "req/s", login.rps / baselineRps,
        `4 conns; p50 ${login.p50.toFixed(1)} ms, p99 ${login.p99.toFixed(1)} ms${login.non2xx ? `; ${login.non2xx} non-2xx` : ""}`)
      await benchRecords({
        url,
        token,
        seconds,
        baselineRps,
        row,
        serverPid: server.child.pid,
        memoryRecords: Number(process.env.BENCH_MEMORY_RECORDS ?? 1_000_000)
      })
      server.child.kill("SIGTERM")
    }

    console.error(`event store: SQLite (WAL, synchronous=normal), single-event appends for ${Math.min(seconds, 3)} s`)
    mkdirSync(join(dir, "store"))
    const store = await benchStoreAppend({ dir: join(dir, "store"), seconds: Math.min(seconds, 3) })
    row("SQLite append, 1 appender", store.single, "events/s", undefined, "each append awaited")
    row("SQLite append, 64 concurrent appenders", store.concurrent64, "events/s", undefined, "group commit; target >= 50,000")
  } finally {
    for (const child of children) child.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
  }

  const fmt = (n) => Math.round(n).toLocaleString("en")
  const lines = [
    "| measurement | value | ratio to baseline | notes |",
    "|---|---:|---:|---|",
    ...rows.map((r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.ratio === undefined ? "" : `${(r.ratio * 100).toFixed(1)}%`} | ${r.note} |`)
  ]
  console.log(`\n${lines.join("\n")}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
