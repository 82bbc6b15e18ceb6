// createRecord (POST /machhub/<table>) throughput on three setups, measured in one run on ONE machine:
// one server process on SQLite, one on JetStream, and three on one JetStream (one nats-server). The
// same method as records.mjs (wrk -t1, 64 connections in all, a new record per request); for three
// nodes, three wrk processes run together, one per node, with the 64 connections split among them,
// and their req/s are summed. Everything shares the machine's 2 cores: wrk, nats-server and every
// server process, so the three-node figure shows what a node costs, not what three machines give.
//
// During each measured run it also samples, from /proc, the CPU each kind of process used (servers,
// nats-server, wrk, the rest of the machine) and the server CPU per request, and, from nats-server's
// monitoring endpoint, the NATS messages per request: the evidence for what limits the figures.
//
// Uses the BUILT server (`npm run build` first) and a nats-server started for each JetStream setup
// (nats-server.mjs: JetStream, file storage, temp dir, free loopback port); the JetStream
// setups are skipped without a nats-server binary, everything is skipped without wrk.
//
//   import { benchClusterRecords } from "./cluster-records.mjs"
//   const rows = await benchClusterRecords({ seconds, baselineRps, row })
//   // rows: [{ name, value, unit, ratio, note }], also handed to `row(...)` one by one if given
//
// Run alone (measures its own raw uWebSockets.js baseline and the JetStream adapter's append rate
// beside raw js.publish, in the same run): node test/bench/cluster-records.mjs
import { spawn, execFileSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { ADMIN_PASSWORD, waitForAdminLogin } from "./admin.mjs"
import { findNatsServer, startNatsServer } from "./nats-server.mjs"
import { createScript } from "./records.mjs"
import { hasWrk } from "./wrk.mjs"

const SERVER = fileURLToPath(new URL("../../apps/server/dist/main.js", import.meta.url))
const WRK_MODULE = new URL("./wrk.mjs", import.meta.url).href
const CONNECTIONS = 64
const TABLE = "bench_cluster"
const SAME_MACHINE = "same machine: 2 cores shared by wrk, nats-server and the server processes"

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const log = (line) => console.error(line)

// ---------------------------------------------------------------------------------------------------
// Child processes: every one started here is tracked and killed on the way out, even on failure.

const children = new Set()
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL")
})

const track = (child) => {
  children.add(child)
  child.once("exit", () => children.delete(child))
  return child
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
const stopChild = (child, graceMs = 3_000) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  })

// ---------------------------------------------------------------------------------------------------
// Server processes.

/** Every server process started and not yet exited, listening or not. */
const serverChildren = new Set()

/** Starts the built server; resolves `{ child, url }` once it listens. */
const startServer = (env) =>
  new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [SERVER], {
      env: {
        ...process.env,
        HOST: "127.0.0.1",
        PORT: "0",
        MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
        MACHHUB_SHUTDOWN_GRACE_MS: "1000",
        ...env
      },
      stdio: ["ignore", "pipe", "pipe"]
    }))
    serverChildren.add(child)
    child.once("exit", () => serverChildren.delete(child))
    let output = ""
    let listening = false
    // Keep reading (a full pipe would stall the server) but keep only the tail, for error messages.
    const keep = (chunk) => {
      output = (output + chunk).slice(-8_000)
    }
    child.stdout.on("data", (chunk) => {
      keep(chunk)
      const match = !listening && /listening on http:\/\/[^:]+:(\d+)/.exec(output)
      if (match) {
        listening = true
        resolve({ child, url: `http://127.0.0.1:${match[1]}` })
      }
    })
    child.stderr.on("data", keep)
    child.once("exit", (code, signal) => {
      if (!listening) reject(new Error(`the server exited (${code ?? signal}) before listening:\n${output.slice(-2_000)}`))
    })
  })

/** Until this node knows the admin (its read models caught up with the shared log) and accepts the token. */
const waitAccepts = async (url, token) => {
  for (let i = 0; i < 400; i++) {
    const response = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined)
    await response?.body?.cancel()
    if (response?.status === 200) return
    await sleep(50)
  }
  throw new Error(`${url} never accepted the admin's token`)
}

const createOne = async (url, token) => {
  const response = await fetch(`${url}/machhub/${TABLE}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "warm-up", price: 1, category: "c0", inStock: true })
  })
  const body = await response.text()
  if (response.status !== 201) throw new Error(`createRecord on ${url} answered ${response.status}: ${body.slice(0, 200)}`)
}

// ---------------------------------------------------------------------------------------------------
// wrk, run by wrk.mjs's runWrk in a child Node process each, so several can run at once (runWrk is
// synchronous) while this process samples CPU. Each child loads wrk.mjs, says "ready", and starts wrk
// when told, so the wrk processes of a setup start together. Each child has its own pid, so runWrk's
// script files (named after the pid) do not collide; they are removed when the child is done.

const driverCode = `
import { runWrk } from ${JSON.stringify(WRK_MODULE)}
process.stdin.once("data", () => {
  process.stdout.write(JSON.stringify(runWrk(JSON.parse(process.argv[1]))) + "\\n")
  process.exit(0)
})
process.stdout.write("ready\\n")
`

const drivers = new Set()
const trackDriver = (child) => {
  drivers.add(child)
  child.once("exit", () => drivers.delete(child))
  return track(child)
}

/** Starts a driver; resolves once it is ready, with `go()` (starts wrk) and `result` (wrk's figures). */
const startWrk = (options) =>
  new Promise((resolveReady, rejectReady) => {
    const child = trackDriver(spawn(process.execPath, ["--input-type=module", "-e", driverCode, JSON.stringify(options)], { stdio: ["pipe", "pipe", "pipe"] }))
    let stdout = ""
    let stderr = ""
    let ready = false
    const result = new Promise((resolve, reject) => {
      child.once("exit", (code) => {
        const prefix = `wrk-${child.pid}-`
        for (const file of readdirSync(tmpdir())) if (file.startsWith(prefix)) rmSync(join(tmpdir(), file), { force: true })
        const error = new Error(`wrk against ${options.url} failed (${code}):\n${stderr}`)
        if (!ready) rejectReady(error)
        if (code === 0) resolve(JSON.parse(stdout.trim().split("\n").at(-1)))
        else reject(error)
      })
    })
    result.catch(() => undefined) // awaited by the caller once started; a failure before that rejects ready
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      if (!ready && stdout.startsWith("ready\n")) {
        ready = true
        resolveReady({ driver: child, go: () => child.stdin.end("go\n"), result })
      }
    })
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4_000)))
  })

const createOptions = (url, token, seconds, connections) => ({
  url: `${url}/machhub/${TABLE}`,
  seconds,
  connections,
  method: "POST",
  headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  lua: createScript,
  timeoutSeconds: 10
})

// ---------------------------------------------------------------------------------------------------
// CPU from /proc: clock ticks (utime + stime) per process, and the whole machine's busy ticks.

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

const statOf = (pid) => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), comm: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")) }
  } catch {
    return undefined
  }
}

const commandOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 100) || `[${statOf(pid)?.comm}]`
  } catch {
    return `pid ${pid}`
  }
}

const allPids = () => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)

const childrenOf = (ppid) => allPids().filter((pid) => statOf(pid)?.ppid === ppid)

/** The machine's busy ticks (with tick-based accounting, interrupt time is also in the processes' own). */
const machineTicks = () => {
  const [, ...values] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq] = values.map(Number)
  return user + nice + system + irq + softirq
}

/** Ticks of each group of pids, of every other process, and of the machine, at one instant. */
const snapshot = (groups) => {
  const all = new Map()
  for (const pid of allPids()) {
    const stat = statOf(pid)
    if (stat) all.set(pid, stat)
  }
  return {
    at: performance.now(),
    machine: machineTicks(),
    all,
    groups: Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.map((pid) => all.get(pid)?.ticks ?? NaN)]))
  }
}

/** CPU of each group between two snapshots, in % of one core (the machine has 200%). */
const cpuBetween = (a, b, mine) => {
  const wallTicks = ((b.at - a.at) / 1000) * TICKS
  const percent = (ticks) => (100 * ticks) / wallTicks
  const groups = Object.fromEntries(Object.keys(a.groups).map((name) => {
    // A process that was not there at both instants is left out (and said so).
    const deltas = a.groups[name].map((t, i) => b.groups[name][i] - t).filter(Number.isFinite)
    const ticks = deltas.reduce((sum, d) => sum + d, 0)
    return [name, { percent: percent(ticks), ticks, missing: a.groups[name].length - deltas.length }]
  }))
  // Everything else that ran meanwhile: this bench's own idle Node processes, and whatever else
  // shares the machine (other work, kernel threads).
  const others = []
  for (const [pid, stat] of b.all) {
    const before = a.all.get(pid)
    if (before === undefined || mine.has(pid)) continue
    if (stat.ticks > before.ticks) others.push({ pid, comm: stat.comm, percent: percent(stat.ticks - before.ticks) })
  }
  others.sort((x, y) => y.percent - x.percent)
  return {
    groups,
    machine: percent(b.machine - a.machine),
    others: others.reduce((sum, o) => sum + o.percent, 0),
    topOthers: others.slice(0, 4),
    seconds: (b.at - a.at) / 1000
  }
}

// ---------------------------------------------------------------------------------------------------
// One setup: start it, warm it up, measure, stop it.

const PROBES = 200

/**
 * PROBES createRecord requests one at a time (round robin over the nodes): their latency without
 * queueing, and the NATS messages each one costs (nats-server's counters, read once the event
 * publisher, which follows the log behind the requests, has caught up).
 */
const probe = async (servers, token, nats) => {
  const settled = async () => {
    let last = await nats.messages()
    for (let i = 0; i < 30; i++) {
      await sleep(100)
      const now = await nats.messages()
      if (now.in === last.in && now.out === last.out) return now
      last = now
    }
    return last
  }
  const before = nats ? await settled() : undefined
  const latencies = []
  for (let i = 0; i < PROBES; i++) {
    const started = performance.now()
    await createOne(servers[i % servers.length].url, token)
    latencies.push(performance.now() - started)
  }
  const after = nats ? await settled() : undefined
  latencies.sort((a, b) => a - b)
  return {
    p50: latencies[Math.floor(PROBES / 2)],
    messages: before && after ? { in: (after.in - before.in) / PROBES, out: (after.out - before.out) / PROBES } : undefined
  }
}

/** Splits `total` connections over `parts` runs: 64 over 3 gives 22, 21, 21. */
const split = (total, parts) => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0))

const measureSetup = async ({ store, nodes, seconds, natsBin }) => {
  const started = performance.now()
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-cluster-"))
  const servers = []
  let nats
  try {
    if (store === "jetstream") {
      // The monitoring port gives the NATS messages per request; a graceful stop, as for the servers.
      nats = await startNatsServer(natsBin, { dirPrefix: "machhub-bench-cluster-nats-", monitor: true, track, stopChild: (child) => stopChild(child, 2_000) })
    }
    const envOf = (i) => ({
      MACHHUB_DATA_DIR: join(dir, `node${i}`),
      ...(store === "jetstream"
        ? { MACHHUB_STORE: "jetstream", NATS_URL: nats.url, MACHHUB_JETSTREAM_STREAM: `MH_BENCH_${nodes}` }
        : { MACHHUB_STORE: "sqlite", NATS_URL: "" }),
      // One event publisher for the deployment, as the README advises: the other nodes leave out the
      // projections role (they still keep the read models their edge needs).
      ...(i > 1 ? { MACHHUB_ROLES: "edge,actors" } : {})
    })
    servers.push(await startServer(envOf(1)))
    const token = await waitForAdminLogin(servers[0].url)
    // The other nodes share the first one's token signing key and API-key secret.
    for (let i = 2; i <= nodes; i++) cpSync(join(dir, "node1", "keys"), join(dir, `node${i}`, "keys"), { recursive: true })
    servers.push(...await Promise.all(Array.from({ length: nodes - 1 }, (_, i) => startServer(envOf(i + 2)))))
    for (const server of servers) await waitAccepts(server.url, token)
    for (const server of servers) await createOne(server.url, token)

    const connections = split(CONNECTIONS, nodes)
    const run = async (runSeconds, sample) => {
      const runs = await Promise.all(servers.map((server, i) => startWrk(createOptions(server.url, token, runSeconds, connections[i]))))
      const startedAt = performance.now()
      for (const r of runs) r.go()
      let cpu
      if (sample && runSeconds >= 2) {
        // Once every wrk is running: a window inside the run, clear of its start and end.
        let wrkPids = []
        for (let i = 0; i < 100 && wrkPids.length < runs.length; i++) {
          wrkPids = runs.flatMap((r) => childrenOf(r.driver.pid))
          if (wrkPids.length < runs.length) await sleep(10)
        }
        // An undetected wrk (-1) reads as "not sampled".
        const wrk = [...wrkPids, ...Array(Math.max(0, runs.length - wrkPids.length)).fill(-1)]
        const groups = { servers: servers.map((s) => s.child.pid), "nats-server": nats ? [nats.pid] : [], wrk }
        await sleep(Math.max(0, startedAt + 300 - performance.now()))
        const a = snapshot(groups)
        await sleep(Math.max(0, startedAt + runSeconds * 1000 - 300 - performance.now()))
        cpu = cpuBetween(a, snapshot(groups), new Set(Object.values(groups).flat()))
        log(`    CPU in the window: other processes ${cpu.topOthers.map((o) => `${o.pid === process.pid ? "this bench" : commandOf(o.pid)} ${Math.round(o.percent)}%`).join(", ") || "none"}`)
      }
      const results = await Promise.all(runs.map((r) => r.result))
      const rps = results.reduce((sum, r) => sum + r.rps, 0)
      return {
        results,
        rps,
        connections,
        cpu,
        serverCpuMicrosPerRequest: cpu ? (cpu.groups.servers.ticks / TICKS) * 1e6 / (rps * cpu.seconds) : undefined,
        natsCpuMicrosPerRequest: cpu && nats ? (cpu.groups["nats-server"].ticks / TICKS) * 1e6 / (rps * cpu.seconds) : undefined
      }
    }
    // Warm-up (JIT, connections, the collection's first records), the same for every setup; not counted.
    await run(1, false)
    const sequential = await probe(servers, token, nats)
    const measured = { ...await run(seconds, true), sequential }
    log(`  ${nodes} server${nodes > 1 ? "s" : ""} on ${store}: ${Math.round(measured.rps).toLocaleString("en")} req/s (${((performance.now() - started) / 1000).toFixed(1)} s for the setup)`)
    return measured
  } finally {
    // Drivers left waiting for "go" when another failed to start.
    for (const driver of drivers) driver.kill("SIGKILL")
    // Every server of this setup, including one that started while another failed to.
    await Promise.all([...serverChildren].map((child) => stopChild(child)))
    await nats?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------------

const ms = (n) => n.toFixed(2)
const range = (values, fmt) => {
  const low = Math.min(...values)
  const high = Math.max(...values)
  return low === high ? fmt(low) : `${fmt(low)}-${fmt(high)}`
}
const cpuNote = (m) => {
  if (!m.cpu) return ""
  const g = m.cpu.groups
  const pct = (group) => `${Math.round(group.percent)}%${group.missing ? ` (${group.missing} not sampled)` : ""}`
  const parts = [`servers ${pct(g.servers)}`]
  if (m.natsCpuMicrosPerRequest !== undefined) parts.push(`nats-server ${pct(g["nats-server"])}`)
  parts.push(`wrk ${pct(g.wrk)}`, `other processes ${Math.round(m.cpu.others)}%`)
  const perRequest = [`servers ${Math.round(m.serverCpuMicrosPerRequest)}`]
  if (m.natsCpuMicrosPerRequest !== undefined) perRequest.push(`nats-server ${Math.round(m.natsCpuMicrosPerRequest)}`)
  return `; CPU of 200%: ${parts.join(", ")} (machine ${Math.round(m.cpu.machine)}%); CPU µs/request: ${perRequest.join(", ")}`
}
const sequentialNote = (m) =>
  `; one request at a time (${PROBES}): p50 ${ms(m.sequential.p50)} ms` +
  (m.sequential.messages ? `, NATS messages per request ${m.sequential.messages.in.toFixed(1)} in + ${m.sequential.messages.out.toFixed(1)} out` : "")
const errorsNote = (m) => {
  const non2xx = m.results.reduce((n, r) => n + r.non2xx, 0)
  const timeouts = m.results.reduce((n, r) => n + r.timeouts, 0)
  return `${non2xx ? `; ${non2xx} non-2xx` : ""}${timeouts ? `; ${timeouts} timeouts` : ""}`
}

/**
 * Measures the three setups one after the other; returns the table's rows ({ name, value, unit,
 * ratio, note }; ratio to `baselineRps`, raw uWebSockets.js, when given) and hands each to `row`.
 */
export async function benchClusterRecords({ seconds = Number(process.env.BENCH_SECONDS ?? 4), baselineRps, row } = {}) {
  const rows = []
  const add = (name, value, unit, ratio, note) => {
    rows.push({ name, value, unit, ratio, note })
    row?.(name, value, unit, ratio, note)
  }
  if (!hasWrk()) {
    log("  (no createRecord cluster figures: wrk is not installed)")
    return rows
  }
  const natsBin = findNatsServer()
  const ratio = (rps) => (baselineRps === undefined ? undefined : rps / baselineRps)
  log(`createRecord on 1 server (SQLite), 1 server (JetStream), 3 servers (one JetStream): wrk -t1, ${CONNECTIONS} conns in all, ${seconds} s each, ${SAME_MACHINE}`)

  const sqlite = await measureSetup({ store: "sqlite", nodes: 1, seconds })
  const [s] = sqlite.results
  add("POST /machhub/<table> (createRecord), 1 server process, SQLite, same machine", sqlite.rps, "req/s", ratio(sqlite.rps),
    `${CONNECTIONS} conns; p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms; commands in-process; 2 cores shared by wrk and the server${cpuNote(sqlite)}${sequentialNote(sqlite)}${errorsNote(sqlite)}`)

  if (natsBin === undefined) {
    log("  (no JetStream createRecord figures: nats-server is not installed; apt-get install nats-server)")
    return rows
  }
  const one = await measureSetup({ store: "jetstream", nodes: 1, seconds, natsBin })
  const [j] = one.results
  add("POST /machhub/<table> (createRecord), 1 server process, JetStream, same machine", one.rps, "req/s", ratio(one.rps),
    `${CONNECTIONS} conns; p50 ${ms(j.p50)} ms, p99 ${ms(j.p99)} ms; commands over NATS (queue group), events to JetStream (own nats-server); ` +
      `${Math.round((100 * one.rps) / sqlite.rps)}% of 1 on SQLite; 2 cores shared by wrk, nats-server and the server${cpuNote(one)}${sequentialNote(one)}${errorsNote(one)}`)

  const three = await measureSetup({ store: "jetstream", nodes: 3, seconds, natsBin })
  add("POST /machhub/<table> (createRecord), 3 server processes on one JetStream, same machine, summed", three.rps, "req/s", ratio(three.rps),
    `node 1 all roles, nodes 2-3 edge,actors (one event publisher); 3 wrk run together, one per node, ${three.connections.join("+")} conns; per node ${three.results.map((r) => Math.round(r.rps).toLocaleString("en")).join(" / ")} req/s; ` +
      `p50 ${range(three.results.map((r) => r.p50), ms)} ms, p99 ${range(three.results.map((r) => r.p99), ms)} ms; ` +
      `${Math.round((100 * three.rps) / one.rps)}% of 1 on JetStream; 2 cores shared by 3 wrk, nats-server and the 3 server processes, so not a scale-out figure${cpuNote(three)}${sequentialNote(three)}${errorsNote(three)}`)
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 4)
  const rows = []
  const row = (name, value, unit, ratio, note = "") => rows.push({ name, value, unit, ratio, note })
  const raw = track(spawn(process.execPath, [fileURLToPath(new URL("./raw-uws.mjs", import.meta.url))], { stdio: ["ignore", "pipe", "ignore"] }))
  try {
    let baselineRps
    if (hasWrk()) {
      const port = await new Promise((resolve, reject) => {
        let out = ""
        raw.stdout.on("data", (chunk) => {
          out += chunk
          const match = /listening (\d+)/.exec(out)
          if (match) resolve(Number(match[1]))
        })
        raw.once("exit", (code) => reject(new Error(`raw-uws.mjs exited with ${code}`)))
      })
      const { runWrk } = await import("./wrk.mjs")
      baselineRps = runWrk({ url: `http://127.0.0.1:${port}/`, seconds }).rps
      row("raw uWebSockets.js hello (baseline)", baselineRps, "req/s", 1, "")
    }
    await stopChild(raw)
    await benchClusterRecords({ seconds, baselineRps, row })
    const { benchJetStream } = await import("./jetstream.mjs")
    const js = await benchJetStream({ seconds: Math.min(seconds, 3) })
    if (js) {
      row("raw js.publish, each awaited (JetStream baseline)", js.raw1, "msgs/s", 1, "no headers, no expectation")
      row("JetStream adapter append, 1 appender", js.adapter1, "events/s", js.adapter1 / js.raw1, "ratio to raw js.publish awaited; one message per append")
      row("raw js.publish, 64 in flight", js.raw64, "msgs/s", undefined, "")
      row("JetStream adapter append, 64 concurrent appenders", js.adapter64, "events/s", js.adapter64 / js.raw64, "ratio to raw js.publish with 64 in flight")
    }
  } finally {
    for (const child of children) child.kill("SIGKILL")
  }
  const fmt = (n) => Math.round(n).toLocaleString("en")
  console.log([
    "",
    "| measurement | value | ratio to baseline | notes |",
    "|---|---:|---:|---|",
    ...rows.map((r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.ratio === undefined ? "" : `${(r.ratio * 100).toFixed(1)}%`} | ${r.note} |`),
    ""
  ].join("\n"))
}
