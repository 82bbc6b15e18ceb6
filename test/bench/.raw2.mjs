import Database from "better-sqlite3"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { uuidv7 } from "@machhub/core"
const blob = Buffer.alloc(100, 7)
function run({ batchSize = 64, streams = 64, secs = 1.5, mem = false, idx = true, only = "all" }) {
  const db = new Database(mem ? ":memory:" : join(mkdtempSync(join(tmpdir(), "raw-")), "e.db"))
  db.pragma("journal_mode = WAL"); db.pragma("synchronous = NORMAL")
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL ${idx ? "UNIQUE" : ""}, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, data BLOB, meta BLOB ${idx ? ", UNIQUE(stream, version)" : ""})`)
  const findById = db.prepare("SELECT stream, version, position FROM events WHERE id = ?")
  const head = db.prepare("SELECT version, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1")
  const ins = db.prepare("INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, ?, ?, ?, ?, ?)")
  const versions = new Map()
  const tx = db.transaction((batch) => {
    for (const s of batch) {
      const id = uuidv7()
      if (only === "all" || only === "find") findById.get(id)
      if (only === "all" || only === "head") head.get(s)
      const v = (versions.get(s) ?? 0) + 1; versions.set(s, v)
      ins.run(id, s, v, "TelemetryRecorded", blob, blob)
    }
  })
  const batch = Array.from({ length: batchSize }, (_, i) => `stream-${i % streams}`)
  const t0 = performance.now(); let n = 0, t = 0
  while (performance.now() - t0 < secs * 1000) { tx(batch); n += batch.length; t++ }
  const el = (performance.now() - t0) / 1000
  db.close()
  return { eps: Math.round(n / el), usPerTx: +(el * 1e6 / t).toFixed(1) }
}
for (const c of [{ batchSize: 1 }, { batchSize: 64 }, { batchSize: 1000 }, { batchSize: 64, mem: true }, { batchSize: 64, idx: false, only: "none" }, { batchSize: 64, only: "none" }, { batchSize: 64, only: "find" }, { batchSize: 64, only: "head" }])
  console.log(JSON.stringify(c), run(c))
const t0 = performance.now(); for (let i = 0; i < 1e5; i++) uuidv7(); console.log("uuidv7 us", (performance.now() - t0) / 1e5 * 1000)
