import { openSqliteLogReader } from "@machhub/adapters"
import { allProjections, openScratchReadModelDatabase, replayProjections } from "@machhub/projections"
import { Effect } from "effect"
const upTo = Number(process.argv[2] ?? 300000)
const log = openSqliteLogReader("/tmp/rb/data/events.db")
const db = openScratchReadModelDatabase("/tmp/rb/exp.db")
if (process.env.JOURNAL) { db.pragma(`journal_mode = ${process.env.JOURNAL}`); db.pragma('temp_store = MEMORY') }
const times = new Map()
const projections = !process.env.TIMES ? allProjections : allProjections.map((p) => ({ ...p, apply(d, e) { const t = performance.now(); p.apply(d, e); times.set(p.name, (times.get(p.name) ?? 0) + performance.now() - t) } }))
let readT = 0
const sel = log.select({ upTo })
const read = (f, l) => { const t = performance.now(); const r = sel(f, l); readT += performance.now() - t; return r }
const t0 = performance.now(); const c0 = process.cpuUsage()
if (process.env.TEMP) db.pragma(`temp_store = ${process.env.TEMP}`)
if (process.env.CACHE) db.pragma(`cache_size = -${process.env.CACHE}`)
if (process.env.PAGE) db.pragma(`page_size = ${process.env.PAGE}`)
const r = await Effect.runPromise(replayProjections(db, projections, read, { upTo, batchSize: Number(process.env.BATCH ?? 10000), indexes: process.env.DEFER === '0' ? 'immediate' : 'deferred' }))
const total = performance.now() - t0
const c = process.cpuUsage(c0); console.log(`defer ${process.env.DEFER ?? 1} temp ${process.env.TEMP ?? 'mem'} rss ${(process.resourceUsage().maxRSS/1024).toFixed(0)}MB batch ${process.env.BATCH ?? 10000} page ${process.env.PAGE ?? 4096} cpu ${((c.user + c.system)/1e6).toFixed(2)} s, total ${(total/1000).toFixed(2)} s, ${(r.events/(total/1000)).toFixed(0)} ev/s; read+decode ${(readT/1000).toFixed(2)} s`)
for (const [k, v] of times) console.log(`  ${k.padEnd(16)} ${(v/1000).toFixed(2)} s`)
