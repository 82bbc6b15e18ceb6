import type Database from "better-sqlite3"
import type { RecordedEvent, ReportingMachineEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * Reporting machines of each domain, one row per (domain, name) with the whole definition as JSON,
 * and their downtime annotations (keyed by the event's position, so each is applied once). Removing
 * a machine removes its annotations from the read model: a name registered again starts clean.
 */
export const reportingMachinesProjection: Projection = {
  name: "reporting-machines",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS reporting_machines (
      domain TEXT NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS reporting_downtime (
      domain TEXT NOT NULL,
      name TEXT NOT NULL,
      position INTEGER NOT NULL,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      PRIMARY KEY (domain, name, position)
    ) WITHOUT ROWID`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS reporting_machines; DROP TABLE IF EXISTS reporting_downtime")
  },
  apply(db, event) {
    const e = event as RecordedEvent & ReportingMachineEvent
    const s = statements(db)
    const domain = event.meta.domain
    switch (e.type) {
      case "ReportingMachineDefined":
        s.upsert.run({ domain, name: e.data.name, definition: JSON.stringify(e.data), version: event.version, at: event.meta.at })
        return
      case "ReportingMachineRemoved":
        s.remove.run(domain, e.data.name)
        s.removeDowntime.run(domain, e.data.name)
        return
      case "DowntimeAnnotated":
        s.annotate.run(domain, e.data.name, event.position, Date.parse(e.data.start), Date.parse(e.data.end), e.data.reason)
        // The machine's stream moved on: its version is what If-Match compares.
        s.touch.run(event.version, event.meta.at, domain, e.data.name)
        return
      default:
        return
    }
  }
}

interface Statements {
  readonly upsert: Database.Statement
  readonly remove: Database.Statement<[string, string]>
  readonly removeDowntime: Database.Statement<[string, string]>
  readonly annotate: Database.Statement<[string, string, number, number, number, string]>
  readonly touch: Database.Statement<[number, string, string, string]>
}
const statements = perDatabase((db): Statements => ({
  upsert: db.prepare(`INSERT INTO reporting_machines (domain, name, definition, version, created_at, updated_at)
    VALUES (@domain, @name, @definition, @version, @at, @at)
    ON CONFLICT (domain, name) DO UPDATE SET definition = excluded.definition, version = excluded.version, updated_at = excluded.updated_at`),
  remove: db.prepare("DELETE FROM reporting_machines WHERE domain = ? AND name = ?"),
  removeDowntime: db.prepare("DELETE FROM reporting_downtime WHERE domain = ? AND name = ?"),
  annotate: db.prepare("INSERT OR IGNORE INTO reporting_downtime (domain, name, position, start_ms, end_ms, reason) VALUES (?, ?, ?, ?, ?, ?)"),
  touch: db.prepare("UPDATE reporting_machines SET version = ?, updated_at = ? WHERE domain = ? AND name = ?")
}))
