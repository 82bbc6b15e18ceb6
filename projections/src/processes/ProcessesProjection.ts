import type Database from "better-sqlite3"
import type { FunctionEvent, ProcessEvent, RecordedEvent, ScheduleEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * Process and function definitions of each domain, one row per name (the definition as saved, its
 * owner and code version), and the last slot each schedule fired: what the management routes list,
 * what triggers run, and where schedules resume after a restart. A removed definition's row goes.
 */
export const processesProjection: Projection = {
  name: "processes",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS processes (
      domain TEXT NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,
      owner TEXT NOT NULL,
      code_version INTEGER NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS functions (
      domain TEXT NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,
      owner TEXT NOT NULL,
      code_version INTEGER NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS process_schedules (
      domain TEXT NOT NULL,
      process TEXT NOT NULL,
      trigger INTEGER NOT NULL,
      slot INTEGER NOT NULL,
      PRIMARY KEY (domain, process, trigger)
    ) WITHOUT ROWID`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS processes; DROP TABLE IF EXISTS functions; DROP TABLE IF EXISTS process_schedules")
  },
  apply(db, event) {
    const e = event as RecordedEvent & (ProcessEvent | FunctionEvent | ScheduleEvent)
    const s = statements(db)
    const domain = event.meta.domain
    switch (e.type) {
      case "ProcessSaved":
      case "FunctionSaved": {
        const { owner, version, ...definition } = e.data
        const row = { domain, name: definition.name, definition: JSON.stringify(definition), owner: JSON.stringify(owner), codeVersion: version, version: event.version, at: event.meta.at }
        ;(e.type === "ProcessSaved" ? s.upsertProcess : s.upsertFunction).run(row)
        return
      }
      case "ProcessTriggersChanged": {
        const current = s.processDefinition.get(domain, e.data.name)
        if (current === undefined) return
        const definition = { ...(JSON.parse(current.definition) as object), triggers: e.data.triggers }
        s.setProcessDefinition.run(JSON.stringify(definition), event.version, event.meta.at, domain, e.data.name)
        return
      }
      case "ProcessRemoved":
        s.removeProcess.run(domain, e.data.name)
        s.removeSchedules.run(domain, e.data.name)
        return
      case "FunctionRemoved":
        s.removeFunction.run(domain, e.data.name)
        return
      case "ScheduleFired":
        s.fired.run(domain, e.data.process, e.data.trigger, e.data.slot)
        return
      default:
        return
    }
  }
}

const upsert = (table: string) => `INSERT INTO ${table} (domain, name, definition, owner, code_version, version, created_at, updated_at)
  VALUES (@domain, @name, @definition, @owner, @codeVersion, @version, @at, @at)
  ON CONFLICT (domain, name) DO UPDATE SET definition = excluded.definition, owner = excluded.owner,
    code_version = excluded.code_version, version = excluded.version, updated_at = excluded.updated_at`

const statements = perDatabase((db) => ({
  upsertProcess: db.prepare(upsert("processes")),
  upsertFunction: db.prepare(upsert("functions")),
  processDefinition: db.prepare<[string, string], { definition: string }>("SELECT definition FROM processes WHERE domain = ? AND name = ?"),
  setProcessDefinition: db.prepare<[string, number, string, string, string]>("UPDATE processes SET definition = ?, version = ?, updated_at = ? WHERE domain = ? AND name = ?"),
  removeProcess: db.prepare<[string, string]>("DELETE FROM processes WHERE domain = ? AND name = ?"),
  removeFunction: db.prepare<[string, string]>("DELETE FROM functions WHERE domain = ? AND name = ?"),
  removeSchedules: db.prepare<[string, string]>("DELETE FROM process_schedules WHERE domain = ? AND process = ?"),
  fired: db.prepare<[string, string, number, number]>(`INSERT INTO process_schedules (domain, process, trigger, slot) VALUES (?, ?, ?, ?)
    ON CONFLICT (domain, process, trigger) DO UPDATE SET slot = max(slot, excluded.slot)`)
}))
