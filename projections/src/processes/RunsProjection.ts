import type Database from "better-sqlite3"
import type { RecordedEvent, RunEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * Runs of processes, functions and flows, one row per run (status, trigger, actor, result or reason,
 * logged lines) and one per step: what GET /api/runs lists and GET /api/runs/<id> shows, and which
 * runs were still running when a node stopped.
 */
export const runsProjection: Projection = {
  name: "runs",
  version: 2,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS runs (
      domain TEXT NOT NULL,
      run_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      status TEXT NOT NULL,
      trigger TEXT NOT NULL,
      input TEXT,
      actor TEXT NOT NULL,
      node TEXT,
      result TEXT,
      reason TEXT,
      logs TEXT,
      steps INTEGER NOT NULL,
      started_at TEXT NOT NULL,
      ended_at TEXT,
      PRIMARY KEY (domain, run_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
    CREATE TABLE IF NOT EXISTS run_steps (
      domain TEXT NOT NULL,
      run_id TEXT NOT NULL,
      idx INTEGER NOT NULL,
      step TEXT NOT NULL,
      detail TEXT,
      at TEXT NOT NULL,
      PRIMARY KEY (domain, run_id, idx)
    ) WITHOUT ROWID`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS run_steps")
  },
  apply(db, event) {
    const e = event as RecordedEvent & RunEvent
    const s = statements(db)
    const domain = event.meta.domain
    switch (e.type) {
      case "RunStarted":
        s.start.run({
          domain,
          runId: e.data.runId,
          kind: e.data.kind,
          name: e.data.name,
          trigger: JSON.stringify(e.data.trigger),
          input: e.data.input === undefined ? null : JSON.stringify(e.data.input),
          actor: JSON.stringify(event.meta.actor),
          node: e.data.node ?? null,
          at: event.meta.at
        })
        return
      case "RunStepCompleted":
        s.step.run(domain, e.data.runId, e.data.index, e.data.step, e.data.detail === undefined ? null : JSON.stringify(e.data.detail), event.meta.at)
        s.countStep.run(domain, e.data.runId)
        return
      case "RunFinished":
        s.end.run("finished", JSON.stringify(e.data.result ?? null), null, JSON.stringify(e.data.logs), event.meta.at, domain, e.data.runId)
        return
      case "RunFailed":
        s.end.run("failed", null, e.data.reason, JSON.stringify(e.data.logs), event.meta.at, domain, e.data.runId)
        return
      default:
        return
    }
  }
}

const statements = perDatabase((db) => ({
  start: db.prepare(`INSERT OR REPLACE INTO runs (domain, run_id, kind, name, status, trigger, input, actor, node, result, reason, logs, steps, started_at, ended_at)
    VALUES (@domain, @runId, @kind, @name, 'running', @trigger, @input, @actor, @node, NULL, NULL, NULL, 0, @at, NULL)`),
  step: db.prepare<[string, string, number, string, string | null, string]>("INSERT OR REPLACE INTO run_steps (domain, run_id, idx, step, detail, at) VALUES (?, ?, ?, ?, ?, ?)"),
  countStep: db.prepare<[string, string]>("UPDATE runs SET steps = steps + 1 WHERE domain = ? AND run_id = ?"),
  end: db.prepare<[string, string | null, string | null, string, string, string, string]>(
    "UPDATE runs SET status = ?, result = ?, reason = ?, logs = ?, ended_at = ? WHERE domain = ? AND run_id = ?"
  )
}))
