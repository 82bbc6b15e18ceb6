import Database from "better-sqlite3"
import { Packr } from "msgpackr"
const packr = new Packr({ useRecords: false })
const db = new Database("/tmp/rb/data/events.db", { readonly: true })
const rows = db.prepare("SELECT data, meta FROM events WHERE position <= 100000").raw(true).all()
for (let round = 0; round < 3; round++) {
  let t = performance.now()
  for (const [d, m] of rows) { packr.unpack(d); packr.unpack(m) }
  console.log("unpack 100k x2", ((performance.now() - t)).toFixed(0), "ms")
  t = performance.now()
  for (const [d, m] of rows) { JSON.parse(JSON.stringify(packr.unpack(m))) }
  console.log("json roundtrip meta 100k", ((performance.now() - t)).toFixed(0), "ms")
}
console.log(rows[5][1].length, rows[5][0].length)
