import Database from "better-sqlite3"
import { Packr } from "msgpackr"
const packr = new Packr({ useRecords: false })
const db = new Database("/tmp/rb/data/events.db", { readonly: true })
const N = 300000
const variants = {
  blobs: ["SELECT position, id, stream, version, type, data, meta FROM events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?", (r) => [packr.unpack(r[5]), packr.unpack(r[6])]],
  hex: ["SELECT position, id, stream, version, type, hex(data), hex(meta) FROM events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?", (r) => [packr.unpack(Buffer.from(r[5], "hex")), packr.unpack(Buffer.from(r[6], "hex"))]],
}
for (let round = 0; round < 2; round++) for (const [name, [sql, dec]] of Object.entries(variants)) {
  const st = db.prepare(sql).raw(true)
  let t = performance.now(); let next = 1, n = 0, tr = 0
  while (next <= N) { const t1 = performance.now(); const rows = st.all(next, N, 10000); tr += performance.now() - t1; for (const r of rows) dec(r); n += rows.length; next = rows[rows.length - 1][0] + 1 }
  console.log(name, n, "total", ((performance.now() - t) / 1000).toFixed(2), "s; sql", (tr / 1000).toFixed(2))
}
