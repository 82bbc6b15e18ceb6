import * as __fs from "node:fs"; globalThis.__fs = __fs
import Database from "better-sqlite3"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { randomUUID } from "node:crypto"
const blob = Buffer.alloc(100, 7)
const v7 = (() => { let c = 0; return () => { const t = Date.now().toString(16).padStart(12, "0"); return `${t.slice(0, 8)}-${t.slice(8)}-7${(c++ & 0xfff).toString(16).padStart(3, "0")}-8000-${randomUUID().slice(24)}` } })()
function run({ secs = 2, ids = "v7", ckpt = 1000, mmap = 0, cache = -2000, uniqueSV = true, idIdx = true, label, page = 4096, excl = false }) {
  const db = new Database(join(mkdtempSync(join(tmpdir(), "raw-")), "e.db"))
  db.pragma(`page_size = ${page}`); if (excl) db.pragma("locking_mode = EXCLUSIVE"); db.pragma("journal_mode = WAL"); db.pragma("synchronous = NORMAL"); db.pragma(`wal_autocheckpoint = ${ckpt}`); db.pragma(`mmap_size = ${mmap}`); db.pragma(`cache_size = ${cache}`)
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL ${idIdx ? "UNIQUE" : ""}, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, data BLOB, meta BLOB ${uniqueSV ? ", UNIQUE(stream, version)" : ""})`)
  const ins = db.prepare("INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, ?, ?, ?, ?, ?)")
  const begin = db.prepare("BEGIN IMMEDIATE"), commit = db.prepare("COMMIT")
  const gen = ids === "v4" ? randomUUID : v7
  const batch = Array.from({ length: 64 }, (_, i) => `stream-${i}`)
  const versions = new Map()
  let tIns = 0, tCommit = 0, n = 0
  const cpu0 = process.cpuUsage(); const t0 = performance.now()
  while (performance.now() - t0 < secs * 1000) {
    const a = performance.now()
    begin.run()
    for (const s of batch) { const v = (versions.get(s) ?? 0) + 1; versions.set(s, v); ins.run(gen(), s, v, "TelemetryRecorded", blob, blob) }
    const b = performance.now()
    commit.run()
    const c = performance.now()
    tIns += b - a; tCommit += c - b; n += 64
  }
  const el = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  db.close()
  console.log(label.padEnd(28), { eps: Math.round(n / el), usInsPerEv: +(tIns * 1000 / n).toFixed(2), usCommitPerTx: +(tCommit * 1000 / (n / 64)).toFixed(1), cpuShare: +((cpu.user + cpu.system) / 1e6 / el).toFixed(2), sysShare: +(cpu.system / 1e6 / el).toFixed(2) })
}
console.log(require_load())
function require_load() { return "load " + (await_load()) }
function await_load() { return (globalThis.process && require_fs().readFileSync("/proc/loadavg", "utf8").trim()) }
function require_fs() { return globalThis.__fs }
run({ label: "v7 default" })
run({ label: "v7 page 1024", page: 1024 })
run({ label: "v7 page 2048", page: 2048 })
run({ label: "v7 no checkpoint", ckpt: 0 })
run({ label: "v7 exclusive", excl: true })
run({ label: "v7 excl+page2048", excl: true, page: 2048 })
run({ label: "v7 default again" })
console.log(require_load())
