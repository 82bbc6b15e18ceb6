import type Database from "better-sqlite3"
import type { RecordedEvent, TagEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * One row per defined tag of each domain, keyed by (domain, topic): what tag listings, the historian
 * (which topics it keeps, and how) and the value pipeline (whether a topic exists, whether clients
 * may write it) read. A removed tag's row is deleted.
 */
export const tagsProjection: Projection = {
  name: "tags",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS tags (
      domain TEXT NOT NULL,
      topic TEXT NOT NULL,
      description TEXT,
      access TEXT NOT NULL,
      historize TEXT,
      autocreated INTEGER NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (domain, topic)
    ) WITHOUT ROWID`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS tags")
  },
  apply(db, event) {
    const tagEvent = event as RecordedEvent & TagEvent
    const s = statements(db)
    switch (tagEvent.type) {
      case "TagDefined": {
        const d = tagEvent.data
        s.upsert.run({
          domain: event.meta.domain,
          topic: d.topic,
          description: d.description ?? null,
          access: d.access,
          historize: d.historize === undefined ? null : JSON.stringify(d.historize),
          autocreated: d.autocreated === true ? 1 : 0,
          version: event.version,
          at: event.meta.at
        })
        return
      }
      case "TagRemoved":
        s.remove.run(event.meta.domain, tagEvent.data.topic)
        return
      default:
        return
    }
  }
}

interface Statements {
  readonly upsert: Database.Statement
  readonly remove: Database.Statement<[string, string]>
}
const statements = perDatabase((db): Statements => ({
  upsert: db.prepare(`INSERT INTO tags (domain, topic, description, access, historize, autocreated, version, created_at, updated_at)
    VALUES (@domain, @topic, @description, @access, @historize, @autocreated, @version, @at, @at)
    ON CONFLICT (domain, topic) DO UPDATE SET description = excluded.description, access = excluded.access,
      historize = excluded.historize, autocreated = excluded.autocreated, version = excluded.version, updated_at = excluded.updated_at`),
  remove: db.prepare("DELETE FROM tags WHERE domain = ? AND topic = ?")
}))
