import type Database from "better-sqlite3"
import type { ApiKeyEvent, KeyUsed, RecordedEvent } from "@machhub/core"
import type { Projection } from "../runner/Projection.js"
import { perDatabase } from "../runner/perDatabase.js"

/**
 * One row per API key: what the key verifier reads on every keyed request (by secret hash, a UNIQUE
 * index, so one indexed lookup) and what key listings show. Holds the HMAC of a key, never the key.
 * `last_used_at` follows the key's sampled `KeyUsed` events (their own stream), without moving the
 * key's version or `updated_at`: using a key does not change it.
 */
export const apiKeysProjection: Projection = {
  name: "api_keys",
  version: 2,
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      key_id TEXT PRIMARY KEY,
      domain TEXT NOT NULL,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      status TEXT NOT NULL,
      suspend_reason TEXT,
      expires_at INTEGER NOT NULL,
      permissions TEXT NOT NULL,
      scopes TEXT NOT NULL,
      issued_by TEXT NOT NULL,
      secret_hash TEXT NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      last_used_at TEXT
    );
    CREATE UNIQUE INDEX IF NOT EXISTS api_keys_secret_hash ON api_keys (secret_hash);
    CREATE INDEX IF NOT EXISTS api_keys_domain_issuer ON api_keys (domain, issued_by)`)
  },
  reset(db) {
    db.exec("DROP TABLE IF EXISTS api_keys")
  },
  apply(db, event) {
    const keyEvent = event as RecordedEvent & (ApiKeyEvent | KeyUsed)
    const domain = event.meta.domain
    const s = statements(db)
    switch (keyEvent.type) {
      case "KeyIssued": {
        const d = keyEvent.data
        // OR IGNORE: a replayed event, or (never in practice) a duplicate hash, must not stop the projections.
        s.insert.run({
          key_id: d.keyId,
          domain,
          name: d.name,
          description: d.description,
          expires_at: d.expiresAt,
          permissions: JSON.stringify(d.permissions),
          scopes: JSON.stringify(d.scopes),
          issued_by: d.issuedBy,
          secret_hash: d.secretHash,
          version: event.version,
          at: event.meta.at
        })
        return
      }
      case "KeyUpdated": {
        const d = keyEvent.data
        s.update.run(d.name, d.description, JSON.stringify(d.permissions), JSON.stringify(d.scopes), event.version, event.meta.at, d.keyId, domain)
        return
      }
      case "KeyRevoked":
        s.setStatus.run("revoked", null, event.version, event.meta.at, keyEvent.data.keyId, domain)
        return
      case "KeySuspended":
        s.setStatus.run("suspended", keyEvent.data.reason ?? null, event.version, event.meta.at, keyEvent.data.keyId, domain)
        return
      case "KeyResumed":
        s.setStatus.run("active", null, event.version, event.meta.at, keyEvent.data.keyId, domain)
        return
      case "KeyUsed":
        s.used.run(keyEvent.data.at, keyEvent.data.keyId, domain)
        return
      default:
        return
    }
  }
}

// Prepared statements are cached per database connection.
interface Statements {
  readonly insert: Database.Statement
  readonly update: Database.Statement<[string, string, string, string, number, string, string, string]>
  readonly setStatus: Database.Statement<[string, string | null, number, string, string, string]>
  readonly used: Database.Statement<[string, string, string]>
}
const statements = perDatabase((db): Statements => ({
  insert: db.prepare(`INSERT OR IGNORE INTO api_keys
    (key_id, domain, name, description, status, expires_at, permissions, scopes, issued_by, secret_hash, version, created_at, updated_at)
    VALUES (@key_id, @domain, @name, @description, 'active', @expires_at, @permissions, @scopes, @issued_by, @secret_hash, @version, @at, @at)`),
  update: db.prepare(
    "UPDATE api_keys SET name = ?, description = ?, permissions = ?, scopes = ?, version = ?, updated_at = ? WHERE key_id = ? AND domain = ?"
  ),
  setStatus: db.prepare("UPDATE api_keys SET status = ?, suspend_reason = ?, version = ?, updated_at = ? WHERE key_id = ? AND domain = ?"),
  // ISO times of one format compare as strings; a late sample never moves the time back.
  used: db.prepare("UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, ''), ?) WHERE key_id = ? AND domain = ?")
}))
