import Database from "better-sqlite3"
import { Packr, Unpackr } from "msgpackr"
const db = new Database("/tmp/rb/data/events.db", { readonly: true })
const rows = db.prepare("SELECT data, meta FROM events WHERE position <= 100000").raw(true).all()
const p1 = new Packr({ useRecords: false })
const u2 = new Unpackr({ useRecords: false })
const json = rows.map(([d, m]) => [JSON.stringify(p1.unpack(d)), JSON.stringify(p1.unpack(m))])
const bench = (name, f) => { for (let r = 0; r < 4; r++) { const t = performance.now(); f(); if (r == 3) console.log(name, (performance.now() - t).toFixed(0), "ms / 100k events") } }
bench("packr.unpack", () => { for (const [d, m] of rows) { p1.unpack(d); p1.unpack(m) } })
bench("unpackr.unpack", () => { for (const [d, m] of rows) { u2.unpack(d); u2.unpack(m) } })
bench("JSON.parse", () => { for (const [d, m] of json) { JSON.parse(d); JSON.parse(m) } })
