import Database from "better-sqlite3"
const db = new Database("/tmp/rb/data/events.db", { readonly: true })
db.pragma("cache_size = -262144")
const cols = process.argv[2] ?? "position, id, stream, version, type, data, meta"
const st = db.prepare(`SELECT ${cols} FROM events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?`).raw(true)
for (let r = 0; r < 2; r++) {
const t = performance.now(); let next = 1, n = 0
while (next <= 1_000_000) { const rows = st.all(next, 1_000_000, 10000); n += rows.length; next = rows[rows.length - 1][0] + 1 }
console.log(cols, n, ((performance.now() - t) / 1000).toFixed(2), "s")
}
