// `npm run bench`: one table of figures measured in this run on this machine, each HTTP figure with
// its ratio to raw uWebSockets.js measured in the same run.
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchTerminal } from "./ssh-terminal.mjs"
import { benchStoreAppend } from "./store-append.mjs"
import { benchJetStream } from "./jetstream.mjs"
import { benchReplay } from "./replay.mjs"
import { benchServerStart } from "./server-start.mjs"
import { benchRecords } from "./records.mjs"
import { benchClusterRecords } from "./cluster-records.mjs"
import { benchAudit } from "./audit.mjs"
import { benchHistorian } from "./historian.mjs"
import { benchMqtt } from "./mqtt.mjs"
import { benchSandbox } from "./sandbox.mjs"
import { benchProcesses } from "./processes.mjs"
import { benchReports } from "./reports.mjs"
import { hasWrk, runWrk } from "./wrk.mjs"
import { ADMIN_PASSWORD, waitForAdminLogin } from "./admin.mjs"

// Between wrk runs the server may close an idle keep-alive connection that fetch's pool then reuses
// ("other side closed"); every bench module's fetch retries such a request once.
const plainFetch = globalThis.fetch
globalThis.fetch = async (url, init) => {
  try {
    return await plainFetch(url, init)
  } catch {
    return await plainFetch(url, init)
  }
}

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 4)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

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
        // The per-key and GraphQL rate limits would otherwise be what the API-key and GraphQL figures measure.
        MACHHUB_KEY_RATE_LIMIT: "1000000",
        MACHHUB_GRAPHQL_RATE_LIMIT: "10000000"
      }, /listening on http:\/\/[^:]+:(\d+)/)
      children.push(server.child)
      const url = `http://127.0.0.1:${server.port}`
      const token = await waitForAdminLogin(url)
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
      // Tag values: HTTP batch ingest into the historian, then queries on a year of minute points.
      await benchHistorian({ url, token, seconds, baselineRps, row, serverPid: server.child.pid })
      // Functions called over HTTP and a tag_change process under 1,000 changes/s, each run recorded.
      await benchProcesses({ url, token, seconds, row })
      // Production reports from the historian (50 machines × 30 days) and GraphQL over those machines.
      await benchReports({ url, token, seconds, row, serverPid: server.child.pid })
      server.child.kill("SIGTERM")

      // createRecord on 1 server (SQLite), 1 (JetStream) and 3 on one JetStream, each setup started and
      // stopped by the module, all on this machine's 2 cores (so the 3-node figure is not a scale-out one).
      await benchClusterRecords({ seconds, baselineRps, row })

      // The audit API on a 1,000,000-event log written straight into a fresh data dir.
      await benchAudit({
        dir,
        seconds,
        baselineRps,
        row,
        events: Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000),
        startServer: async (env) => {
          const started = await startProcess([here("../../apps/server/dist/main.js")], { HOST: "127.0.0.1", PORT: "0", NATS_URL: "", ...env },
            /listening on http:\/\/[^:]+:(\d+)/)
          children.push(started.child)
          return started
        }
      })
    }

    console.error(`event store: SQLite (WAL, synchronous=normal), single-event appends for ${Math.min(seconds, 3)} s`)
    mkdirSync(join(dir, "store"))
    const store = await benchStoreAppend({ dir: join(dir, "store"), seconds: Math.min(seconds, 3) })
    row("SQLite append, 1 appender", store.single, "events/s", undefined, "each append awaited")
    row("SQLite append, 64 concurrent appenders", store.concurrent64, "events/s", undefined, "group commit; target >= 50,000")

    // The process/function sandbox: QuickJS on worker threads, in this process, no HTTP.
    console.error("sandbox: a trivial TypeScript function (cold start, warm calls one at a time, runs/s with one in flight per worker)")
    const sandbox = await benchSandbox({ calls: Number(process.env.BENCH_SANDBOX_CALLS ?? 1_000) })
    row("sandbox cold start (new worker: thread, WebAssembly compile, first run)", sandbox.coldMs, "ms", undefined, "median of 5")
    row("sandbox warm call p50 (fresh QuickJS runtime and context)", sandbox.warm.p50 * 1000, "µs", undefined, `p99 ${Math.round(sandbox.warm.p99 * 1000)} µs`)
    row("compile TypeScript function body (esbuild) p50", sandbox.compileMs.p50 * 1000, "µs", undefined, `p99 ${Math.round(sandbox.compileMs.p99 * 1000)} µs`)
    row(`sandbox runs/s, one sdk.tags.read each, ${sandbox.workers} workers`, sandbox.runsPerSecond, "runs/s", undefined, "one run in flight per worker")

    // MQTT: ingest through the edge into the historian beside a bare Mosquitto (BENCH_MQTT_SECONDS,
    // 30 by default), and fan-out to 100 WebSocket subscribers through /mqtt beside Mosquitto's own.
    await benchMqtt({ row }).catch((error) => console.error(`  (no MQTT figures: ${error.message})`))

    // JetStream: the adapter's appends beside raw js.publish, same nats-server, same run. Skipped
    // (not failed) without a nats-server binary, so the rest of the bench still runs.
    const jsSeconds = Math.min(seconds, 3)
    console.error(`event store: JetStream (own nats-server on 127.0.0.1, file storage), single-event appends for ${jsSeconds} s each`)
    const js = await benchJetStream({ seconds: jsSeconds }).catch((error) => {
      console.error(`  (no JetStream figures: ${error.message})`)
      return null
    })
    if (js === undefined) console.error("  (no JetStream figures: nats-server is not installed; apt-get install nats-server)")
    if (js) {
      row("raw js.publish, each awaited (JetStream baseline)", js.raw1, "msgs/s", 1, "no headers, no expectation")
      row("JetStream adapter append, 1 appender", js.adapter1, "events/s", js.adapter1 / js.raw1, "ratio to raw js.publish awaited; one message per append")
      row("raw js.publish, 64 in flight", js.raw64, "msgs/s", undefined, "")
      row("JetStream adapter append, 64 concurrent appenders", js.adapter64, "events/s", js.adapter64 / js.raw64, "ratio to raw js.publish with 64 in flight")
      row(`raw js.publish, ${js.inFlight.toLocaleString("en")} in flight`, js.rawMany, "msgs/s", undefined, "")
    }

    // `machhub replay` (the built CLI, its own process) of a generated log into every read model.
    const replayEvents = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000)
    console.error(`replay: ${replayEvents.toLocaleString("en")} events (records, users, logins, sessions) into every read model with machhub replay`)
    const replay = await benchReplay({ dir: join(dir, "replay"), events: replayEvents })
    if (replay.appendEventsPerSecond !== undefined) row("SQLite append of the same events in batches (replay baseline)", replay.appendEventsPerSecond, "events/s", 1, "one append per stream per round of 20,000, all concurrent")
    row(`machhub replay, ${replay.events.toLocaleString("en")} events into all read models`, replay.eventsPerSecond, "events/s",
      replay.appendEventsPerSecond === undefined ? undefined : replay.eventsPerSecond / replay.appendEventsPerSecond,
      `ratio to appending them; peak RSS ${replay.peakRssMb} MB; ${replay.replaySeconds.toFixed(1)} s; target >= 100%`)
    rmSync(join(dir, "replay"), { recursive: true, force: true })
    await benchServerStart({ dir, events: Number(process.env.BENCH_START_EVENTS ?? 1_000_000), row })

    // The SSH terminal: the same SSH machine (its own process) over a direct ssh2 connection and
    // through the server's /ssh WebSocket (server in its own process, recording every byte). The
    // ratio column compares with the direct connection measured here, not with raw uWS.
    const megabytes = Number(process.env.BENCH_SSH_MB ?? 100)
    console.error(`SSH terminal: ${megabytes} MB bulk output (median of 3) and 2,000 keystroke round trips, direct ssh2 vs /ssh`)
    const target = await startProcess([here("./ssh-target.mjs")], { SSH_PASSWORD: "bench-ssh-password" }, /listening (\d+)/)
    children.push(target.child)
    const sshServer = await startProcess([here("../../apps/server/dist/main.js")], {
      HOST: "127.0.0.1",
      PORT: "0",
      NATS_URL: "",
      MACHHUB_DATA_DIR: join(dir, "ssh-server"),
      MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD
    }, /listening on http:\/\/[^:]+:(\d+)/)
    children.push(sshServer.child)
    const sshUrl = `http://127.0.0.1:${sshServer.port}`
    const terminal = await benchTerminal({
      url: sshUrl,
      token: await waitForAdminLogin(sshUrl),
      host: "127.0.0.1",
      port: target.port,
      username: "bench",
      password: "bench-ssh-password",
      megabytes
    })
    row("SSH bulk output, direct ssh2 (terminal baseline)", terminal.bulk.direct, "MB/s", 1, "same machine, same run")
    row("SSH bulk output through /ssh (recorded)", terminal.bulk.socket, "MB/s", terminal.bulk.socket / terminal.bulk.direct, "ratio to direct ssh2; target >= 95%")
    row("keystroke round trip p50, direct ssh2", terminal.keys.direct.p50, "µs", undefined, `p99 ${Math.round(terminal.keys.direct.p99)} µs`)
    row("keystroke round trip p50 through /ssh (recorded)", terminal.keys.socket.p50, "µs", undefined,
      `p99 ${Math.round(terminal.keys.socket.p99)} µs; +${Math.round(terminal.keys.socket.p50 - terminal.keys.direct.p50)} µs over direct; target <= +300 µs`)
    sshServer.child.kill("SIGTERM")
    target.child.kill("SIGTERM")
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
