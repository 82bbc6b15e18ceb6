// `npm run bench`: one table of figures measured in this run on this machine, each HTTP figure with
// its ratio to raw uWebSockets.js measured in the same run.
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchStoreAppend } from "./store-append.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
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
      console.error(`HTTP figures: wrk -t1 -c64 -d${seconds}s against servers on 127.0.0.1 (2 cores shared with wrk)`)
      const raw = await startProcess([here("./raw-uws.mjs")], {}, /listening (\d+)/)
      children.push(raw.child)
      const baseline = runWrk({ url: `http://127.0.0.1:${raw.port}/`, seconds })
      row("raw uWebSockets.js hello (baseline)", baseline.rps, "req/s", 1, `p50 ${baseline.p50.toFixed(2)} ms, p99 ${baseline.p99.toFixed(2)} ms`)
      raw.child.kill("SIGTERM")

      const server = await startProcess([here("../../apps/server/dist/main.js")], {
        HOST: "127.0.0.1",
        PORT: "0",
        NATS_URL: "",
        MACHHUB_DATA_DIR: join(dir, "server"),
        MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
        // The per-key rate limit would otherwise be what the API-key figure measures.
        MACHHUB_KEY_RATE_LIMIT: "100000000"
      }, /listening on http:\/\/[^:]+:(\d+)/)
      children.push(server.child)
      const url = `http://127.0.0.1:${server.port}`
      await waitForAdmin(url)

      const health = runWrk({ url: `${url}/healthz`, seconds })
      row("GET /healthz", health.rps, "req/s", health.rps / baseline.rps, `p50 ${health.p50.toFixed(2)} ms, p99 ${health.p99.toFixed(2)} ms`)

      const token = await loginToken(url)
      const meJwt = runWrk({ url: `${url}/api/me`, seconds, headers: { Authorization: `Bearer ${token}` } })
      row("GET /api/me, JWT (authenticated)", meJwt.rps, "req/s", meJwt.rps / baseline.rps,
        `p50 ${meJwt.p50.toFixed(2)} ms, p99 ${meJwt.p99.toFixed(2)} ms; target >= 60%${meJwt.non2xx ? `; ${meJwt.non2xx} non-2xx` : ""}`)
      const key = await issueKey(url, token)
      if (key !== undefined) {
        const meKey = runWrk({ url: `${url}/api/me`, seconds, headers: { "X-Machhub-Api-Key": key } })
        row("GET /api/me, API key (authenticated)", meKey.rps, "req/s", meKey.rps / baseline.rps,
          `p50 ${meKey.p50.toFixed(2)} ms, p99 ${meKey.p99.toFixed(2)} ms; target >= 60%${meKey.non2xx ? `; ${meKey.non2xx} non-2xx` : ""}`)
      }

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
      row("POST /auth/login (scrypt N=2^17, r=8)", login.rps, "req/s", login.rps / baseline.rps,
        `4 conns; p50 ${login.p50.toFixed(1)} ms, p99 ${login.p99.toFixed(1)} ms${login.non2xx ? `; ${login.non2xx} non-2xx` : ""}`)
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
