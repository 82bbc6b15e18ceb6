// Micro benchmark of the records write path inside core: 100,000 createRecord commands, each decoded by
// the record aggregate, decided against a fresh record and answered, as the actor system does for a
// POST /machhub/<table>. Measures the built core (`core/dist`), or each directory given as an argument
// (e.g. two builds of core/src, before and after a change), alternating between them round by round so
// that a busy machine slows each alike; prints the best and median round of each.
//   node test/bench/record-command.mjs [path/to/core/dist ...]
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"

const coreDirs = (process.argv.length > 2 ? process.argv.slice(2) : [new URL("../../core/dist", import.meta.url).pathname]).map((dir) => resolve(dir))
const { Effect } = await import("effect")
const cores = []
for (const dir of coreDirs) cores.push({ dir, ...(await import(pathToFileURL(`${dir}/index.js`).href)), times: [] })
const { RECORD_CATEGORY } = cores[0]

const COMMANDS = 100_000
const ROUNDS = 20

const commands = Array.from({ length: COMMANDS }, (_, i) => {
  const id = String(i).padStart(32, "0")
  return {
    id: `cmd-${i}`,
    type: "createRecord",
    category: RECORD_CATEGORY,
    domain: "bench",
    aggregateId: `items:${id}`,
    payload: {
      table: "items",
      id,
      data: { name: `item ${i}`, price: (i * 7919) % 1000, category: `c${i % 10}`, inStock: i % 3 === 0, tags: ["a", "b"], nested: { ratio: i / 7 } },
      creator: { kind: "user", id: "u1" }
    },
    actor: { kind: "user", id: "u1" },
    correlationId: `c-${i}`,
    newAggregate: true
  }
})

const round = (recordAggregate) => {
  const started = performance.now()
  for (const command of commands) {
    const decision = Effect.runSync(recordAggregate.handle(command, recordAggregate.initialState()))
    if (decision.events.length !== 1 || decision.result.data !== command.payload.data) throw new Error("unexpected decision")
  }
  return performance.now() - started
}

for (let i = 0; i < ROUNDS; i++) {
  for (const core of cores) core.times.push(round(core.recordAggregate))
}
for (const core of cores) {
  const measured = core.times.slice(3).sort((a, b) => a - b) // the first rounds warm the JIT up
  const best = measured[0]
  const median = measured[Math.floor(measured.length / 2)]
  console.log(`${core.dir}: createRecord decode+decide+reply x${COMMANDS}: best ${best.toFixed(1)} ms (${Math.round(COMMANDS / best * 1000)}/s), median ${median.toFixed(1)} ms (${Math.round(COMMANDS / median * 1000)}/s)`)
}
