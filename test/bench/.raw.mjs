import Database from "better-sqlite3"
import { randomUUID } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Packr } from "msgpackr"
import { uuidv7 } from "@machhub/core"
const packr = new Packr({ useRecords: false })
const meta = packr.pack({ domain: "bench", actor: { kind: "system", id: "system" }, correlationId: "bench", causationId: null, commandId: null, at: "2025-01-01T00:00:00.000Z" })
function run({ ids = "v4", pageSize = 4096, streamsTable = false, ckpt = 1000, sync = "NORMAL", streams = 64, secs = 1.5, cache = -2000 }) {
  const dir = mkdtempSync(join(tmpdir(), "raw-"))
  const db = new Database(join(dir, "e.db"))
  db.pragma(`page_size = ${pageSize}`)
  db.pragma("journal_mode = WAL"); db.pragma(`synchronous = ${sync}`); db.pragma(`wal_autocheckpoint = ${ckpt}`); db.pragma(`cache_size = ${cache}`)
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, data BLOB, meta BLOB, UNIQUE(stream, version));
    CREATE TABLE streams (stream TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;`)
  const findById = db.prepare("SELECT stream, version, position FROM events WHERE id = ?")
  const head = db.prepare("SELECT version, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1")
  const headS = db.prepare("SELECT version FROM streams WHERE stream = ?")
  const upS = db.prepare("INSERT INTO streams (stream, version) VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET version = excluded.version")
  const ins = db.prepare("INSERT INTO events (id, stream, version, type, data, meta) VALUES (?, ?, ?, ?, ?, ?)")
  const gen = ids === "v4" ? randomUUID : () => uuidv7()
  const tx = db.transaction((batch) => {
    for (const s of batch) {
      const id = gen()
      findById.get(id)
      const v = streamsTable ? (headS.get(s)?.version ?? 0) : (head.get(s)?.version ?? 0)
      ins.run(id, s, v + 1, "TelemetryRecorded", packr.pack({ machine: "press-7", v }), meta)
      if (streamsTable) upS.run(s, v + 1)
    }
  }).immediate
  const batch = Array.from({ length: streams }, (_, i) => `stream-${i}`)
  const t0 = performance.now(); let n = 0
  while (performance.now() - t0 < secs * 1000) { tx(batch); n += batch.length }
  const eps = Math.round(n / ((performance.now() - t0) / 1000))
  db.close()
  return eps
}
const cfgs = [
  {}, { ids: "v7" }, { ids: "v7", streamsTable: true }, { ids: "v7", pageSize: 1024 }, { ids: "v7", pageSize: 8192 },
  { ids: "v7", ckpt: 10000 }, { ids: "v7", cache: -65536 }, { ids: "v7", streams: 1 }, { ids: "v4", streams: 1 },
  { ids: "v7", sync: "FULL" }, { ids: "v7", sync: "OFF" }
]
for (const c of cfgs) console.log(JSON.stringify(c), run(c))
