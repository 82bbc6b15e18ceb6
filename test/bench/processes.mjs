// Process and function figures for `npm run bench`, against a running server (url, admin token):
// - function calls over HTTP: POST /machhub/function/execute of a trivial TypeScript function,
//   calls/s with 8 in flight and p50/p99 latency one at a time (each call is a recorded run:
//   RunStarted and RunFinished, plus the sandbox run);
// - a Node-RED flow executed over HTTP (POST /machhub/flow/execute/name/<name>: an entry, a change
//   node adding the two numbers with JSONata, a response), calls/s and p50 next to the same logic as
//   the function above (the flow's first call starts Node-RED, so it is warmed up first);
// - a tag_change process under 1,000 tag changes/s (POST /machhub/tag/batch of 100 values every
//   100 ms): runs/s finished, and the lag p99 from a value's timestamp to its run's end.
//
//   import { benchProcesses } from "./processes.mjs"
//   await benchProcesses({ url, token, seconds, row })
//
// Run alone against a running server: BENCH_URL=http://127.0.0.1:8080 BENCH_TOKEN=<jwt> node test/bench/processes.mjs
import { call } from "./call.mjs"

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

export const benchProcesses = async ({ url, token, seconds, row }) => {
  const suffix = Date.now().toString(36)
  const fn = `bench_add_${suffix}`
  await call(url, token, "POST", "/api/functions", { name: fn, language: "typescript", code: "const p: { a: number; b: number } = context.payload\nreturn p.a + p.b" })
  const execute = () => call(url, token, "POST", "/machhub/function/execute", { name: fn, payload: { a: 1, b: 2 } })
  for (let i = 0; i < 20; i++) await execute()

  const latencies = []
  const single = performance.now() + Math.min(seconds, 3) * 1000
  while (performance.now() < single) {
    const started = performance.now()
    await execute()
    latencies.push(performance.now() - started)
  }
  latencies.sort((a, b) => a - b)
  row("POST /machhub/function/execute p50 (one at a time, recorded run)", percentile(latencies, 50) * 1000, "µs", undefined,
    `p99 ${Math.round(percentile(latencies, 99) * 1000)} µs`)

  let calls = 0
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < deadline) {
      await execute()
      calls++
    }
  }))
  const functionRate = calls / ((performance.now() - started) / 1000)
  row("function calls/s over HTTP (8 in flight)", functionRate, "calls/s", undefined, "each a run in the log")

  // The same sum as a Node-RED flow. A deploy replaces the domain's flows file: the bench server's own.
  const flow = `bench_add_flow_${suffix}`
  await call(url, token, "POST", "/api/flows", [
    { id: "bench_tab", type: "tab", label: "bench" },
    { id: "bench_in", type: "machhub.flow.in", z: "bench_tab", name: flow, wires: [["bench_sum"]] },
    { id: "bench_sum", type: "change", z: "bench_tab", rules: [{ t: "set", p: "payload", pt: "msg", to: "payload.a + payload.b", tot: "jsonata" }], wires: [["bench_out"]] },
    { id: "bench_out", type: "machhub.flow.response", z: "bench_tab", wires: [] }
  ])
  const runFlow = () => call(url, token, "POST", `/machhub/flow/execute/name/${flow}`, { a: 1, b: 2 })
  const first = await runFlow()
  if (first?.msg !== 3) throw new Error(`the bench flow answered ${JSON.stringify(first)}`)
  for (let i = 0; i < 20; i++) await runFlow()
  const flowLatencies = []
  const flowSingle = performance.now() + Math.min(seconds, 3) * 1000
  while (performance.now() < flowSingle) {
    const began = performance.now()
    await runFlow()
    flowLatencies.push(performance.now() - began)
  }
  flowLatencies.sort((a, b) => a - b)
  let flowCalls = 0
  const flowDeadline = performance.now() + seconds * 1000
  const flowStarted = performance.now()
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < flowDeadline) {
      await runFlow()
      flowCalls++
    }
  }))
  const flowRate = flowCalls / ((performance.now() - flowStarted) / 1000)
  row("Node-RED flow calls/s over HTTP (8 in flight), the function's sum as a change node", flowRate, "calls/s", undefined,
    `p50 ${Math.round(percentile(flowLatencies, 50) * 1000)} µs, p99 ${Math.round(percentile(flowLatencies, 99) * 1000)} µs one at a time; ${(flowRate / functionRate).toFixed(2)}× the function; each a run in the log`)
  await call(url, token, "POST", "/api/flows", [])

  // Tag changes at 1,000/s into a tag_change process.
  const processName = `bench_onchange_${suffix}`
  const topic = `bench/proc/${suffix}`
  await call(url, token, "POST", "/api/processes", {
    name: processName,
    language: "javascript",
    log_enabled: false,
    code: "return context.trigger.data.payload * 2",
    triggers: [{ type: "tag_change", config: { tag: `${topic}/+` } }]
  })
  const since = new Date().toISOString()
  const loadEnd = performance.now() + seconds * 1000
  let sent = 0
  while (performance.now() < loadEnd) {
    const tick = performance.now()
    const now = Date.now()
    const batch = Array.from({ length: 100 }, (_, i) => ({ topic: `${topic}/${i % 10}`, value: sent + i, timestamp: now }))
    await call(url, token, "POST", "/machhub/tag/batch", batch)
    sent += batch.length
    const wait = 100 - (performance.now() - tick)
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
  // Let the runs in flight finish.
  for (let i = 0; i < 100; i++) {
    const running = await call(url, token, "GET", `/api/runs?name=${processName}&status=running&limit=1`)
    if (running.length === 0) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const finished = await call(url, token, "GET", `/api/runs?name=${processName}&status=finished&limit=1000&since=${encodeURIComponent(since)}`)
  const lags = finished.map((run) => Date.parse(run.ended_at) - Date.parse(run.trigger.data.timestamp)).sort((a, b) => a - b)
  row(`tag_change process runs/s under ${Math.round(sent / seconds).toLocaleString("en")} changes/s`, finished.length / seconds, "runs/s", undefined,
    `${finished.length}${finished.length === 1000 ? "+" : ""} runs of ${sent} changes (the rest dropped past 64 waiting); lag p99 ${lags.length === 0 ? "n/a" : `${percentile(lags, 99)} ms`}`)
  await call(url, token, "DELETE", `/api/processes/${processName}`)
  await call(url, token, "DELETE", `/api/functions/${fn}`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.BENCH_URL
  const token = process.env.BENCH_TOKEN
  if (url === undefined || token === undefined) throw new Error("set BENCH_URL and BENCH_TOKEN")
  await benchProcesses({ url, token, seconds: Number(process.env.BENCH_SECONDS ?? 4), row: (name, value, unit, _ratio, note) => console.log(`${name}: ${Math.round(value)} ${unit} ${note}`) })
}
