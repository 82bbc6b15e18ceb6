// The process/function sandbox (QuickJS on worker threads), against the BUILT server
// (`npx tsc -b tsconfig.build.json` first).
//
//   import { benchSandbox } from "./sandbox.mjs"
//   await benchSandbox({ calls: 1000 })
//   // => { coldMs, warm: { p50, p99 }, compileMs: { p50, p99 }, runsPerSecond, workers }
//
// Run directly: node test/bench/sandbox.mjs [calls]
// (`npx tsx test/bench/sandbox.mjs --sources` measures the TypeScript sources instead of the build.)
import { availableParallelism } from "node:os"
import { fileURLToPath, pathToFileURL } from "node:url"

const modulePath = (sources) =>
  pathToFileURL(fileURLToPath(new URL(sources ? "../../apps/server/src/sandbox/index.ts" : "../../apps/server/dist/sandbox/index.js", import.meta.url))).href

const host = {
  tags: { read: async () => 21.5, publish: async () => {} },
  collections: { get: async () => null, list: async () => [], create: async () => null, update: async () => null, delete: async () => null },
  log: () => {}
}
const limits = { memoryBytes: 64 * 1024 * 1024, cpuMillis: 5_000 }

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

/**
 * Cold start: a new pool's first trivial run (worker thread start, WebAssembly compile and
 * instantiate, run), median of 5. Warm call: sequential trivial runs on one warm worker, each in its
 * own fresh WebAssembly instance as always. Throughput: as many runs in flight as the pool has workers
 * (one per core), a trivial function that reads one tag through sdk.
 */
export async function benchSandbox({ calls = 1_000, sources = false } = {}) {
  const { SandboxPool, compileCode } = await import(modulePath(sources))
  const trivial = compileCode("return { sum: context.inputs.a + context.inputs.b }", "typescript")
  if (!trivial.ok) throw new Error(trivial.message)
  const withSdk = compileCode("const t: number = await sdk.tags.read('line1/temp') as number\nreturn t * 2", "typescript")
  if (!withSdk.ok) throw new Error(withSdk.message)
  const options = (js) => ({ js, context: { inputs: { a: 1, b: 2 } }, host, limits })

  const colds = []
  for (let i = 0; i < 5; i++) {
    const pool = new SandboxPool({ workers: 1 })
    const started = performance.now()
    const outcome = await pool.run(options(trivial.js))
    colds.push(performance.now() - started)
    if (!outcome.ok) throw new Error(outcome.reason)
    await pool.close()
  }

  const compiles = []
  for (let i = 0; i < 200; i++) {
    const started = performance.now()
    compileCode(`const x: number = ${i}\nreturn x + context.inputs.a`, "typescript")
    compiles.push(performance.now() - started)
  }

  const single = new SandboxPool({ workers: 1 })
  for (let i = 0; i < 50; i++) await single.run(options(trivial.js))
  const warms = []
  for (let i = 0; i < calls; i++) {
    const started = performance.now()
    const outcome = await single.run(options(trivial.js))
    warms.push(performance.now() - started)
    if (!outcome.ok) throw new Error(outcome.reason)
  }
  await single.close()

  const workers = availableParallelism()
  const pool = new SandboxPool({ workers })
  await Promise.all(Array.from({ length: workers * 4 }, () => pool.run(options(withSdk.js))))
  let done = 0
  const started = performance.now()
  const until = started + 3_000
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        const outcome = await pool.run(options(withSdk.js))
        if (!outcome.ok) throw new Error(outcome.reason)
        done++
      }
    })
  )
  const runsPerSecond = done / ((performance.now() - started) / 1000)
  await pool.close()

  return { coldMs: summary(colds).p50, warm: summary(warms), compileMs: summary(compiles), runsPerSecond, workers }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sources = process.argv.includes("--sources")
  const calls = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 1_000)
  const result = await benchSandbox({ calls, sources })
  console.log(JSON.stringify(result, null, 2))
}
