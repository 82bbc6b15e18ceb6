import type Database from "better-sqlite3"
import type { RecordedEvent, SessionEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * One row per session: what the authenticator needs on every request that carries a session token
 * (revoked? expired?) and what revocation needs (whose session, in which domain).
 */
export const sessionsProjection: Projection = {
  name: "sessions",
  version: 1,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      session_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      domain TEXT NOT NULL,
      refresh_expires_at INTEGER NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0,
      revoked_by TEXT,
      address TEXT,
      opened_at TEXT NOT NULL,
      refreshed_at TEXT,
      version INTEGER NOT NULL
    )`)
    db.exec("CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id)")
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS sessions")
  },
  apply(db, event) {
    const sessionEvent = event as RecordedEvent & SessionEvent
    switch (sessionEvent.type) {
      case "SessionOpened":
        statements(db).insert.run({
          session_id: sessionEvent.data.sessionId,
          user_id: sessionEvent.data.userId,
          domain: event.meta.domain,
          refresh_expires_at: sessionEvent.data.refreshExpiresAt,
          address: sessionEvent.data.address,
          at: event.meta.at,
          version: event.version
        })
        return
      case "SessionRefreshed":
        statements(db).refreshed.run(event.meta.at, event.version, sessionEvent.data.sessionId)
        return
      case "SessionRevoked":
        statements(db).revoked.run(sessionEvent.data.by, event.version, sessionEvent.data.sessionId)
        return
      default:
        return
    }
  }
}

// Prepared statements are cached per database connection.
interface Statements {
  readonly insert: Database.Statement
  readonly refreshed: Database.Statement<[string, number, string]>
  readonly revoked: Database.Statement<[string, number, string]>
}
const statements = perDatabase((db): Statements => ({
  insert: db.prepare(`INSERT INTO sessions (session_id, user_id, domain, refresh_expires_at, address, opened_at, version)
    VALUES (@session_id, @user_id, @domain, @refresh_expires_at, @address, @at, @version)
    ON CONFLICT(session_id) DO NOTHING`),
  refreshed: db.prepare("UPDATE sessions SET refreshed_at = ?, version = ? WHERE session_id = ?"),
  revoked: db.prepare("UPDATE sessions SET revoked = 1, revoked_by = ?, version = ? WHERE session_id = ?")
}))

export interface SessionRow {
  readonly sessionId: string
  readonly userId: string
  readonly domain: string
  /** Seconds since the epoch. */
  readonly refreshExpiresAt: number
  readonly revoked: boolean
  readonly revokedBy: string | null
  readonly address: string | null
  readonly openedAt: string
  readonly refreshedAt: string | null
  readonly version: number
}

interface RawSessionRow {
  session_id: string
  user_id: string
  domain: string
  refresh_expires_at: number
  revoked: number
  revoked_by: string | null
  address: string | null
  opened_at: string
  refreshed_at: string | null
  version: number
}

/** Queries over the sessions read model. */
export const makeSessionsReadModel = (db: Database.Database) => {
  const byId = db.prepare<[string], RawSessionRow>("SELECT * FROM sessions WHERE session_id = ?")
  return {
    find: (sessionId: string): SessionRow | undefined => {
      const raw = byId.get(sessionId)
      return raw === undefined
        ? undefined
        : {
          sessionId: raw.session_id,
          userId: raw.user_id,
          domain: raw.domain,
          refreshExpiresAt: raw.refresh_expires_at,
          revoked: raw.revoked !== 0,
          revokedBy: raw.revoked_by,
          address: raw.address,
          openedAt: raw.opened_at,
          refreshedAt: raw.refreshed_at,
          version: raw.version
        }
    }
  }
}

export type SessionsReadModel = ReturnType<typeof makeSessionsReadModel>
