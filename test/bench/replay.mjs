// `machhub replay` of a large log into every read model, against the BUILT CLI and adapter
// (`npx tsc -b tsconfig.build.json` first).
//
//   import { benchReplay } from "./replay.mjs"
//   await benchReplay({ dir: "/tmp/bench/replay", events: 1_000_000 })
//   // => { events, eventsPerSecond, peakRssMb, replaySeconds, generateSeconds, appendEventsPerSecond }
//
// `appendEventsPerSecond` is the baseline of the replay figure: the rate at which the same events were
// appended to the log in batches (the store's appends alone, see replay-log.mjs), in the same run.
//
// Run directly: node test/bench/replay.mjs [events]
// BENCH_REPLAY_LOG=/path/to/events.db reuses a log generated before (kept, never modified) instead of
// generating one: generating 1,000,000 events through the adapter takes about a minute here. Such a run
// has no append baseline (appendEventsPerSecond is undefined).
import { spawn } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { generateReplayLog } from "./replay-log.mjs"

const CLI = fileURLToPath(new URL("../../apps/cli/dist/main.js", import.meta.url))

const run = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`machhub ${args.join(" ")} exited with ${code}:\n${stderr}`))))
  })

const number = (text) => Number(text.replaceAll(",", ""))

/**
 * Generates (or copies from BENCH_REPLAY_LOG) an `events`-event log in `dir`, then runs
 * `machhub replay --data-dir <dir>` in its own process and reads its summary: the events/s it
 * measured around the rebuild itself, and the peak RSS of the whole process.
 */
export async function benchReplay({ dir, events = 1_000_000 }) {
  mkdirSync(dir, { recursive: true })
  const log = join(dir, "events.db")
  let generateSeconds = 0
  let appendEventsPerSecond
  const reuse = process.env.BENCH_REPLAY_LOG
  if (reuse !== undefined && reuse !== "" && existsSync(reuse)) {
    copyFileSync(reuse, log)
  } else {
    const generated = await generateReplayLog({ path: log, events })
    generateSeconds = generated.seconds
    appendEventsPerSecond = Math.round(generated.events / generated.appendSeconds)
    if (reuse !== undefined && reuse !== "") copyFileSync(log, reuse)
  }
  const { stdout } = await run(["replay", "--data-dir", dir])
  const summary = /^replayed ([\d,]+) events .* in .*: ([\d,]+) events\/s, peak RSS ([\d,]+) MB/m.exec(stdout)
  if (summary === null) throw new Error(`unexpected replay summary:\n${stdout}`)
  const [, replayed, perSecond, rss] = summary
  return {
    events: number(replayed),
    eventsPerSecond: number(perSecond),
    peakRssMb: number(rss),
    replaySeconds: number(replayed) / number(perSecond),
    generateSeconds,
    appendEventsPerSecond
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const events = Number(process.argv[2] ?? 1_000_000)
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-replay-"))
  try {
    console.log(await benchReplay({ dir, events }))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
