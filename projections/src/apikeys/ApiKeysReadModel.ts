import type Database from "better-sqlite3"
import type { ApiKeyStatus, Permission } from "@machhub/core"

export interface ApiKeyRow {
  readonly keyId: string
  readonly domain: string
  readonly name: string
  readonly description: string
  readonly status: ApiKeyStatus
  readonly suspendReason: string | null
  /** Unix seconds; 0 = never. */
  readonly expiresAt: number
  readonly permissions: ReadonlyArray<Permission>
  readonly scopes: ReadonlyArray<string>
  readonly issuedBy: string
  /** HMAC of the key (see ApiKeySecret); for the verifier only, never for an answer. */
  readonly secretHash: string
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
  /** When the key last authenticated a request (ISO 8601), sampled to the minute; null if never. */
  readonly lastUsedAt: string | null
}

interface RawApiKeyRow {
  key_id: string
  domain: string
  name: string
  description: string
  status: string
  suspend_reason: string | null
  expires_at: number
  permissions: string
  scopes: string
  issued_by: string
  secret_hash: string
  version: number
  created_at: string
  updated_at: string
  last_used_at: string | null
}

const toRow = (raw: RawApiKeyRow): ApiKeyRow => ({
  keyId: raw.key_id,
  domain: raw.domain,
  name: raw.name,
  description: raw.description,
  status: raw.status as ApiKeyStatus,
  suspendReason: raw.suspend_reason,
  expiresAt: raw.expires_at,
  permissions: JSON.parse(raw.permissions) as Array<Permission>,
  scopes: JSON.parse(raw.scopes) as Array<string>,
  issuedBy: raw.issued_by,
  secretHash: raw.secret_hash,
  version: raw.version,
  createdAt: raw.created_at,
  updatedAt: raw.updated_at,
  lastUsedAt: raw.last_used_at
})

/** Queries over the API keys read model. Lookups by id are scoped to a domain: another domain's key is "not found". */
export const makeApiKeysReadModel = (db: Database.Database) => {
  const byHash = db.prepare<[string], RawApiKeyRow>("SELECT * FROM api_keys WHERE secret_hash = ?")
  const byId = db.prepare<[string, string], RawApiKeyRow>("SELECT * FROM api_keys WHERE domain = ? AND key_id = ?")
  const inDomain = db.prepare<[string], RawApiKeyRow>("SELECT * FROM api_keys WHERE domain = ? ORDER BY key_id")
  const ofIssuer = db.prepare<[string, string], RawApiKeyRow>("SELECT * FROM api_keys WHERE domain = ? AND issued_by = ? ORDER BY key_id")
  return {
    findByHash: (secretHash: string): ApiKeyRow | undefined => {
      const raw = byHash.get(secretHash)
      return raw === undefined ? undefined : toRow(raw)
    },
    find: (domain: string, keyId: string): ApiKeyRow | undefined => {
      const raw = byId.get(domain, keyId)
      return raw === undefined ? undefined : toRow(raw)
    },
    /** Keys of a domain, oldest first (ids are UUIDv7); only those `issuedBy` issued when given. */
    list: (domain: string, issuedBy?: string): Array<ApiKeyRow> =>
      (issuedBy === undefined ? inDomain.all(domain) : ofIssuer.all(domain, issuedBy)).map(toRow)
  }
}

export type ApiKeysReadModel = ReturnType<typeof makeApiKeysReadModel>
