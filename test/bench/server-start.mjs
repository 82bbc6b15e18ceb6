// Server start on an existing data dir, against the BUILT server and CLI (`npx tsc -b tsconfig.build.json`
// first): how long from spawning the process until GET /readyz answers 200, when the data dir already
// holds a large log AND read models that are up to date with it. That start must not depend on the log's
// size: nothing is replayed (every projection's checkpoint is at the head) and nothing scans the log.
//
// The log is written straight into a fresh data dir (audit.mjs's fillLog), its read models are built with
// `machhub replay`, then a server is started once (it bootstraps its admin and stops cleanly) and
// started again; both starts are timed, the second is the figure (a restart).
//
//   import { benchServerStart } from "./server-start.mjs"
//   await benchServerStart({ dir, events: 1_000_000, row })  // => { events, firstMs, restartMs, emptyMs }
//
// With `row` (run.mjs's table), it adds two rows: the start on an empty data dir (the baseline) and the
// restart on the large one, as a ratio to it (100% = the log's size costs the start nothing).
//
// Run directly: node test/bench/server-start.mjs [events]
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { ADMIN_PASSWORD } from "./admin.mjs"
import { fillLog } from "./audit.mjs"

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const SERVER = here("../../apps/server/dist/main.js")
const CLI = here("../../apps/cli/dist/main.js")
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const runCli = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`machhub ${args.join(" ")} exited with ${code}:\n${output}`))))
  })

/** Spawns the server on `dataDir` and resolves the ms until GET /readyz answers 200; then stops it (SIGTERM) and waits for its exit. */
const timeStart = (dataDir) =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [SERVER], {
      env: { ...process.env, HOST: "127.0.0.1", PORT: "0", NATS_URL: "", MACHHUB_DATA_DIR: dataDir, MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    let readyMs
    let polling = false
    const poll = async (port) => {
      for (;;) {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
        if (response?.status === 200) return performance.now() - started
        await sleep(10)
      }
    }
    child.stdout.on("data", (chunk) => {
      output += chunk
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output)
      if (match === null || polling) return
      polling = true
      poll(Number(match[1])).then((ms) => {
        readyMs = ms
        child.kill("SIGTERM")
      }, reject)
    })
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("exit", (code, signal) =>
      readyMs !== undefined ? resolve(readyMs) : reject(new Error(`server exited (${code ?? signal}) before ready:\n${output.slice(-2000)}`)))
  })

export async function benchServerStart({ dir, events = 1_000_000, row }) {
  console.error(`server start: ${events.toLocaleString("en")} events and their read models in a data dir, ms until GET /readyz 200`)
  const empty = join(dir, "start-empty")
  mkdirSync(empty, { recursive: true })
  await timeStart(empty)
  const emptyMs = await timeStart(empty)

  const dataDir = join(dir, "start-large")
  await fillLog(dataDir, events)
  await runCli(["replay", "--data-dir", dataDir])
  const firstMs = await timeStart(dataDir)
  const restartMs = await timeStart(dataDir)
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(empty, { recursive: true, force: true })
  row?.("server start on an empty data dir, ms to ready (GET /readyz 200) (start baseline)", emptyMs, "ms", 1, "a restart: admin bootstrapped by a first start")
  row?.(`server start on a data dir with ${events.toLocaleString("en")} events, ms to ready (GET /readyz 200)`, restartMs, "ms", restartMs / emptyMs,
    `read models up to date (machhub replay, then one start); first start after the replay ${Math.round(firstMs).toLocaleString("en")} ms; target <= 2,000 ms`)
  return { events, firstMs, restartMs, emptyMs }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const events = Number(process.argv[2] ?? 1_000_000)
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-start-"))
  try {
    console.log(await benchServerStart({ dir, events }))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
