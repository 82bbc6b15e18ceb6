import { openScratchReadModelDatabase } from "@machhub/projections"
import { readdirSync } from "node:fs"
const db = openScratchReadModelDatabase("/tmp/rb/j/rm.db")
console.log(db.pragma("journal_mode", { simple: true }), readdirSync("/tmp/rb/j"))
db.exec("create table x(a)"); console.log(readdirSync("/tmp/rb/j"))
db.transaction(() => db.exec("insert into x values (1)"))(); console.log(readdirSync("/tmp/rb/j"))
db.exec("create index xi on x(a)"); db.exec("drop index xi"); console.log(readdirSync("/tmp/rb/j"))
