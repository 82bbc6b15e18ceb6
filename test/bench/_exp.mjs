import { openSqliteLogReader } from "@machhub/adapters"
import { allProjections, openScratchReadModelDatabase, replayProjections } from "@machhub/projections"
import { Effect } from "effect"
const [cache, mmap, defer, upToArg] = process.argv.slice(2)
const log = openSqliteLogReader("/tmp/rb/data/events.db")
const head = upToArg ? Number(upToArg) : log.head()
const db = openScratchReadModelDatabase("/tmp/rb/exp.db")
db.pragma(`cache_size = -${Number(cache) * 1024}`)
if (mmap !== "0") db.pragma(`mmap_size = ${Number(mmap) * 1024 * 1024}`)
let deferred = []
const projections = defer === "1" ? allProjections.map((p) => ({ ...p, setup(d) { p.setup(d); for (const ix of d.prepare("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql LIKE 'CREATE INDEX%'").all()) { d.exec(`DROP INDEX "${ix.name}"`); deferred.push(ix.sql) } } })) : allProjections
const t0 = performance.now()
const r = await Effect.runPromise(replayProjections(db, projections, log.select({ upTo: head }), { upTo: head, batchSize: 10000 }))
const t1 = performance.now()
for (const sql of deferred) db.exec(sql)
const t2 = performance.now()
console.log(`cache=${cache}MB mmap=${mmap}MB defer=${defer}: replay ${((t1-t0)/1000).toFixed(1)} s, indexes ${((t2-t1)/1000).toFixed(1)} s, total ${(r.events/((t2-t0)/1000)).toFixed(0)} ev/s, maxRSS ${(process.resourceUsage().maxRSS/1024).toFixed(0)} MB`)
db.close()
