import { randomUUID } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeSqliteEventStore } from "@machhub/adapters"
import { Effect } from "effect"
const meta = { domain: "bench", actor: { kind: "system", id: "system" }, correlationId: "bench", causationId: null, commandId: null, at: "2025-01-01T00:00:00.000Z" }
const dir = mkdtempSync(join(tmpdir(), "p1-"))
const secs = Number(process.argv[2] ?? 2)
const prog = Effect.scoped(Effect.gen(function* () {
  const store = yield* makeSqliteEventStore({ path: join(dir, "e.db") })
  const deadline = performance.now() + secs * 1000
  const t0 = performance.now()
  const counts = yield* Effect.forEach(Array.from({ length: 64 }, (_, i) => i), (i) => Effect.gen(function* () {
    let v = 0
    while (performance.now() < deadline) v = (yield* store.append(`s-${i}`, v, [{ id: randomUUID(), type: "T", data: { v }, meta }])).version
    return v
  }), { concurrency: "unbounded" })
  const total = counts.reduce((a, b) => a + b, 0)
  const stats = yield* store.stats
  console.log({ eps: Math.round(total / ((performance.now() - t0) / 1000)), total, ...stats, perTx: stats.appends / stats.transactions })
}))
await Effect.runPromise(prog)
