import type Database from "better-sqlite3"
import type { Projection } from "../runner/Projection.js"
import { auditKey } from "./auditKey.js"

/**
 * The audit index: one narrow row per event of the log, never the event's data (that stays in the
 * store: auditors read events from the store, found through this index). Domains, types and actors are
 * stored as hashes (auditKey). Each index ends in `position`, so a filtered page is one index seek
 * that already yields log order and stops after `limit` rows:
 * - (domain, position): a domain's events, what every domain auditor's page starts from;
 * - (domain, type, position): one type in a domain (LoginFailed in acme), and, domain by domain, one
 *   type across all domains;
 * - (actor, position): what one user or key did;
 * - (at_max): time bounds. `at` is the event's `meta.at` in ms; `at_max` the largest `at` up to this
 *   position, which never decreases along the log (a clock can step back), so the first position that
 *   can hold an event at or after an instant is one seek away. `audit_meta.skew` keeps the largest
 *   `at_max - at` seen (how far a clock ever stepped back), which bounds the last position that can
 *   hold an event at or before an instant just as exactly.
 * Streams need no index here: the store reads a stream by its own (stream, version) index.
 */
export const auditProjection: Projection = {
  name: "audit",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS audit_events (
      position INTEGER PRIMARY KEY,
      domain INTEGER NOT NULL,
      type INTEGER NOT NULL,
      actor INTEGER NOT NULL,
      at INTEGER NOT NULL,
      at_max INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_by_domain ON audit_events (domain, position);
    CREATE INDEX IF NOT EXISTS audit_by_domain_type ON audit_events (domain, type, position);
    CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_events (actor, position);
    CREATE INDEX IF NOT EXISTS audit_by_time ON audit_events (at_max);
    CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS audit_events; DROP TABLE IF EXISTS audit_meta")
    writers.delete(db)
  },
  apply(db, event) {
    const writer = writerOf(db)
    const parsed = Date.parse(event.meta.at)
    const at = Number.isFinite(parsed) ? parsed : writer.atMax
    if (at > writer.atMax) writer.atMax = at
    // Only while a clock runs behind (rare): an upsert keeping the maximum, safe to repeat on a retried batch.
    if (writer.atMax > at) writer.skew.run(writer.atMax - at)
    writer.insert.run(
      event.position,
      auditKey("domain", event.meta.domain),
      auditKey("type", event.type),
      auditKey("actor", event.meta.actor.id),
      at,
      writer.atMax
    )
  }
}

interface Writer {
  readonly insert: Database.Statement<[number, number, number, number, number, number]>
  readonly skew: Database.Statement<[number]>
  atMax: number
}

/**
 * Per connection: the insert statement and the running maximum time, read back from the last row
 * when first needed. (Should a batch roll back, `atMax` may run ahead of the rows: that only makes a
 * `since` bound start earlier, never miss an event.)
 */
const writers = new WeakMap<Database.Database, Writer>()
const writerOf = (db: Database.Database): Writer => {
  let writer = writers.get(db)
  if (writer === undefined) {
    const last = db.prepare<[], { at_max: number }>("SELECT at_max FROM audit_events ORDER BY position DESC LIMIT 1").get()
    writer = {
      // OR IGNORE: a batch re-applied after a crash must not stop the projections.
      insert: db.prepare("INSERT OR IGNORE INTO audit_events (position, domain, type, actor, at, at_max) VALUES (?, ?, ?, ?, ?, ?)"),
      skew: db.prepare("INSERT INTO audit_meta (key, value) VALUES ('skew', ?) ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)"),
      atMax: last?.at_max ?? 0
    }
    writers.set(db, writer)
  }
  return writer
}
