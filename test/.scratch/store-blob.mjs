import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Scope, Exit } from "effect"
import { makeSqliteEventStore } from "@machhub/adapters"
import { uuidv7 } from "@machhub/core"
const dir = mkdtempSync(join(tmpdir(), "blob-"))
const scope = Effect.runSync(Scope.make())
const store = await Effect.runPromise(Scope.provide(scope)(makeSqliteEventStore({ path: join(dir, "events.db") })))
const meta = { domain: "b", actor: { kind: "system", id: "s" }, correlationId: "c", causationId: null, commandId: null, at: new Date().toISOString() }
const size = Number(process.env.EV ?? 262144), perBatch = Number(process.env.PB ?? 4), total = 200 * 1024 * 1024
const blob = Buffer.alloc(size, 7)
let version = 0
const cpu0 = process.cpuUsage(); const t0 = performance.now()
for (let done = 0; done < total; done += size * perBatch) {
  const events = Array.from({ length: perBatch }, () => ({ id: uuidv7(), type: "TerminalOutput", data: { t: 1, data: Buffer.from(blob) }, meta }))
  const r = await Effect.runPromise(store.append("s-b-1", version, events))
  version = r.version
}
const ms = performance.now() - t0; const cpu = process.cpuUsage(cpu0)
console.log(`EV=${size} PB=${perBatch}: ${(total / 1048576 / (ms / 1000)).toFixed(0)} MiB/s wall, cpu user ${(cpu.user/1000).toFixed(0)} ms sys ${(cpu.system/1000).toFixed(0)} ms for 200 MiB`)
await Effect.runPromise(Scope.close(scope, Exit.void)); rmSync(dir, { recursive: true, force: true })
