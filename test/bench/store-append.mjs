// Event store append throughput, against the BUILT SQLite adapter (`npx tsc -b tsconfig.build.json` first).
//
//   import { benchStoreAppend } from "./store-append.mjs"
//   await benchStoreAppend({ dir: "/tmp/bench", seconds: 3 })  // => { single, concurrent64 } in events/s
//
// Run directly: node test/bench/store-append.mjs [seconds] [normal|full]
import { randomUUID } from "node:crypto"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { makeSqliteEventStore } from "@machhub/adapters"
import { Effect } from "effect"

const meta = {
  domain: "bench",
  actor: { kind: "system", id: "system" },
  correlationId: "bench",
  causationId: null,
  commandId: null,
  at: "2025-01-01T00:00:00.000Z"
}

/**
 * Time-ordered ids, laid out like UUIDv7 (48-bit ms timestamp, then a counter, then random bits), as the
 * system's event ids are: their order is what matters to the store's id index (random v4 ids scatter
 * its inserts; measured ~40% fewer events/s). Not core's uuidv7() itself: it draws fresh randomness from
 * crypto.getRandomValues for every id (~3 µs), which would be measured here instead of the store.
 */
let sequence = 0
const timeOrderedId = () => {
  const ms = Date.now().toString(16).padStart(12, "0")
  const counter = (sequence++ & 0xfff).toString(16).padStart(3, "0")
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${counter}-${randomUUID().slice(19)}`
}

const newEvent = (n) => ({
  id: timeOrderedId(),
  type: "TelemetryRecorded",
  data: { machine: "press-7", sensor: "temperature", value: 20 + (n % 50) / 10, seq: n },
  meta
})

/** One appender: appends single events to its own stream, each append awaited before the next. */
const appender = (store, stream, deadline) =>
  Effect.gen(function* () {
    let version = 0
    while (performance.now() < deadline) {
      version = (yield* store.append(stream, version, [newEvent(version)])).version
    }
    return version
  })

/** Runs `appenders` concurrent appenders for `seconds` on a fresh database; returns events per second. */
const measure = (path, synchronous, appenders, seconds) =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* makeSqliteEventStore({ path, synchronous })
      // Warm up (JIT, statement caches, file growth) outside the measured window.
      yield* Effect.forEach(Array.from({ length: appenders }, (_, i) => i), (i) =>
        appender(store, `warmup-${i}`, performance.now() + 200), { concurrency: "unbounded" })
      const start = performance.now()
      const deadline = start + seconds * 1000
      const counts = yield* Effect.forEach(Array.from({ length: appenders }, (_, i) => i), (i) =>
        appender(store, `stream-${i}`, deadline), { concurrency: "unbounded" })
      const elapsed = (performance.now() - start) / 1000
      return Math.round(counts.reduce((a, b) => a + b, 0) / elapsed)
    })
  )

/**
 * Events/s with 1 appender (awaited one at a time) and with 64 concurrent appenders, each appending single
 * events to its own stream. Each measurement uses a fresh database file in `dir` (created if missing).
 * `synchronous` ("normal" | "full") is passed to the store.
 */
export async function benchStoreAppend({ dir, seconds = 3, synchronous = "normal" }) {
  mkdirSync(dir, { recursive: true })
  const run = (name, appenders) =>
    Effect.runPromise(measure(join(dir, `${name}-${synchronous}.db`), synchronous, appenders, seconds))
  const single = await run("single", 1)
  const concurrent64 = await run("concurrent64", 64)
  return { single, concurrent64 }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const seconds = Number(process.argv[2] ?? 3)
  const modes = process.argv[3] ? [process.argv[3]] : ["normal", "full"]
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-"))
  try {
    for (const synchronous of modes) {
      const result = await benchStoreAppend({ dir, seconds, synchronous })
      console.log(`synchronous=${synchronous}`, result)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
