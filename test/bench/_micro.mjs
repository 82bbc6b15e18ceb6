import Database from "better-sqlite3"
import { rmSync } from "node:fs"
rmSync("/tmp/rb/micro.db", { force: true })
const db = new Database("/tmp/rb/micro.db")
db.pragma("journal_mode = OFF"); db.pragma("synchronous = OFF"); db.pragma("locking_mode = EXCLUSIVE"); db.pragma("cache_size = -65536")
db.exec("CREATE TABLE a (position INTEGER PRIMARY KEY, domain TEXT, stream TEXT, type TEXT, actor TEXT, at INTEGER, at_max INTEGER)")
const ins = db.prepare("INSERT OR IGNORE INTO a VALUES (?, ?, ?, ?, ?, ?, ?)")
const tx = db.transaction((from) => { for (let i = from; i < from + 10000; i++) ins.run(i, "acme", `record-acme-sensors:r${i.toString(36)}`, "RecordCreated", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 1700000000000 + i, 1700000000000 + i) })
let t = performance.now()
for (let i = 1; i <= 1_000_000; i += 10000) tx(i)
console.log("1M plain inserts", ((performance.now() - t) / 1000).toFixed(2), "s")
