import { expandKeyScopes, intersect, normalizePermissions } from "@machhub/core"
import { isApiKeyToken, type ApiKeyHasher } from "@machhub/adapters"
import type { ApiKeysReadModel, GroupsReadModel, UsersReadModel } from "@machhub/projections"
import type { KeyVerifier } from "./Authenticator.js"
import { grantsOf } from "./grantsOf.js"
import type { KeyRateLimiter } from "./KeyRateLimiter.js"
import { forbidden, unauthorized, type Principal, type Refusal } from "./Principal.js"

const INVALID = unauthorized("Invalid API key")

/**
 * Verifies an API key (SPEC §4): HMAC of the presented key, one lookup by that hash in the keys read
 * model, then status, expiry, domain and the issuer's current grants. The authenticator caches the
 * outcome until the key expires and drops it on any access-related event, so a suspension, revocation
 * or change of the issuer's groups still applies to the very next request; the rate limit is counted
 * on every request. A key acts in its own domain only and never holds more than its issuer holds now.
 */
export const makeApiKeyVerifier = (deps: {
  readonly keys: ApiKeysReadModel
  readonly users: UsersReadModel
  readonly groups: GroupsReadModel
  readonly hasher: ApiKeyHasher
  readonly limiter: KeyRateLimiter
  /** Seconds since the epoch (for expiry); injectable for tests. */
  readonly nowSeconds?: () => number
}): KeyVerifier => {
  const nowSeconds = deps.nowSeconds ?? (() => Date.now() / 1000)
  return {
    admit: (keyId) => {
      const rate = deps.limiter.take(keyId)
      if (rate.allowed) return undefined
      return {
        status: 429,
        message: `Too many requests with this API key; retry in ${rate.retryAfterSeconds} s`,
        headers: { "Retry-After": String(rate.retryAfterSeconds) }
      }
    },
    resolve: (key, requestedDomain): { readonly principal: Principal; readonly validUntil: number } | Refusal => {
      if (!isApiKeyToken(key)) return INVALID
      const hash = deps.hasher.hash(key)
      const row = deps.keys.findByHash(hash)
      // The indexed lookup already matched; the constant-time compare keeps the rule "secrets are
      // compared in constant time" true whatever the index does.
      if (row === undefined || !deps.hasher.same(row.secretHash, hash)) return INVALID
      if (row.status === "revoked") return unauthorized("The API key has been revoked")
      if (row.status === "suspended") return unauthorized("The API key is suspended; ask an administrator to resume it")
      if (row.expiresAt !== 0 && nowSeconds() >= row.expiresAt) {
        return unauthorized(`The API key expired at ${new Date(row.expiresAt * 1000).toISOString()}`)
      }
      if (requestedDomain !== undefined && requestedDomain !== row.domain) {
        return forbidden(`This API key belongs to another domain and cannot act in domain ${requestedDomain}`)
      }
      const issuer = deps.users.findById(row.issuedBy)
      if (issuer === undefined) return unauthorized("The API key's issuer no longer exists")
      if (issuer.disabled) return unauthorized("The API key's issuer is disabled")
      const grants = grantsOf(issuer, row.domain, deps.groups)
      if (!grants.member) return unauthorized(`The API key's issuer is no longer a member of domain ${row.domain}`)
      const own = normalizePermissions([...row.permissions, ...expandKeyScopes(row.scopes)])
      const principal: Principal = {
        kind: "key",
        id: row.keyId,
        userId: issuer.userId,
        username: issuer.username,
        domain: row.domain,
        groups: [],
        // Never more than the issuer holds now; a key is never a superuser, whoever issued it.
        permissions: intersect(own, grants.permissions, grants.superuser),
        superuser: false,
        globalSuperuser: false,
        sessionId: undefined
      }
      return { principal, validUntil: row.expiresAt === 0 ? Number.MAX_SAFE_INTEGER : row.expiresAt }
    }
  }
}
