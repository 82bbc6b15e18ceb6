import Database from "better-sqlite3"
import { rmSync } from "node:fs"
import { auditProjection } from "@machhub/projections"
rmSync("/tmp/rb/micro.db", { force: true })
const db = new Database("/tmp/rb/micro.db")
db.pragma("journal_mode = OFF"); db.pragma("synchronous = OFF"); db.pragma("locking_mode = EXCLUSIVE"); db.pragma("cache_size = -65536")
auditProjection.setup(db)
const ins = db.prepare("INSERT OR IGNORE INTO audit_events (position, domain, stream, type, actor, at, at_max) VALUES (?, ?, ?, ?, ?, ?, ?)")
const actors = Array.from({ length: 1500 }, () => crypto.randomUUID())
const N = Number(process.argv[2] ?? 300000)
const tx = db.transaction((from) => { for (let i = from; i < from + 10000; i++) ins.run(i, "acme", `record-acme-sensors:r${(i * 7919 % N).toString(36)}`, "RecordCreated", actors[i % 1500], 1700000000000 + i, 1700000000000 + i) })
let t = performance.now()
for (let i = 1; i <= N; i += 10000) tx(i)
console.log(N, "audit inserts", ((performance.now() - t) / 1000).toFixed(2), "s")
