import { makeSqliteEventStore } from "@machhub/adapters"
import { EventStore } from "@machhub/core"
import { allProjections, makeProjectionRunner, openReadModelDatabase } from "@machhub/projections"
import { rmSync } from "node:fs"
import { Effect } from "effect"
rmSync("/tmp/rb/runner-rm.db", { force: true })
const db = openReadModelDatabase("/tmp/rb/runner-rm.db")
const t0 = performance.now(); const c0 = process.cpuUsage()
await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
  const store = yield* makeSqliteEventStore({ path: "/tmp/rb/data.orig/events.db" })
  const runner = yield* makeProjectionRunner(db, allProjections).pipe(Effect.provideService(EventStore, store))
  const head = yield* store.headPosition
  yield* runner.waitFor(head, 3_600_000)
})))
const s = (performance.now() - t0) / 1000; const c = process.cpuUsage(c0)
console.log(`ProjectionRunner catch-up of the whole log: ${s.toFixed(1)} s wall, cpu ${((c.user + c.system)/1e6).toFixed(1)} s, ${(1e6 / s).toFixed(0)} ev/s, maxRSS ${(process.resourceUsage().maxRSS/1024).toFixed(0)} MB`)
