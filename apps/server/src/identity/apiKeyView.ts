import type { ApiKeyRow } from "@machhub/projections"

/**
 * An API key as the management routes show it. Never the key (it is shown once, at issue) and never
 * its hash. Permissions are answered as `features` ({ name, action, scope }), the shape they are sent in.
 * `lastUsedAt` is when the key last authenticated a request (sampled: at most once a minute), null if
 * never.
 */
export const apiKeyView = (row: ApiKeyRow, nowSeconds: number = Date.now() / 1000) => ({
  id: row.keyId,
  name: row.name,
  description: row.description,
  domain: row.domain,
  status: row.status,
  ...(row.suspendReason === null ? {} : { suspendReason: row.suspendReason }),
  expiration: row.expiresAt,
  expired: row.expiresAt !== 0 && nowSeconds >= row.expiresAt,
  features: row.permissions.map((p) => ({ name: p.feature, action: p.action, scope: p.scope })),
  scopes: row.scopes,
  issuedBy: row.issuedBy,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  lastUsedAt: row.lastUsedAt,
  version: row.version
})
