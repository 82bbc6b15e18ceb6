import { openSqliteLogReader } from "@machhub/adapters"
import Database from "better-sqlite3"
const log = openSqliteLogReader("/tmp/rb/data/events.db")
const read = log.select({ upTo: 1_000_000 })
let t = performance.now(); let next = 1, n = 0
while (next <= 1_000_000) { const p = read(next, 10000); n += p.events.length; next = p.next }
console.log("read+decode", n, ((performance.now() - t) / 1000).toFixed(2), "s")
const db = new Database("/tmp/rb/data/events.db", { readonly: true })
const st = db.prepare("SELECT position, id, stream, version, type, data, meta FROM events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?").raw(true)
t = performance.now(); next = 1; n = 0
while (next <= 1_000_000) { const rows = st.all(next, 1_000_000, 10000); n += rows.length; next = rows[rows.length - 1][0] + 1 }
console.log("read raw", n, ((performance.now() - t) / 1000).toFixed(2), "s")
