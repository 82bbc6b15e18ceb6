import { Effect } from "effect"
import type { RecordedEvent, TokenServiceService, VerifiedToken } from "@machhub/core"
import type { HttpRequest } from "@machhub/adapters"
import type { GroupsReadModel, UsersReadModel } from "@machhub/projections"
import { parseDomainHeader } from "../routes/domainHeader.js"
import { grantsOf } from "./grantsOf.js"
import { isRefusal, forbidden, unauthorized, type Principal, type Refusal } from "./Principal.js"
import { PrincipalCache } from "./PrincipalCache.js"
import { readCredential } from "./readCredential.js"
import { runPromise } from "../runtime.js"

/** Verifies API keys (hash lookup, status, expiry, issuer) into a principal of the key's domain. */
export interface KeyVerifier {
  /** The key's principal, reusable until `validUntil` (seconds) unless access changes; no rate accounting. */
  resolve(key: string, requestedDomain: string | undefined): { readonly principal: Principal; readonly validUntil: number } | Refusal
  /** Counts one request against the key's rate limit; a 429 refusal when it is over. */
  admit(keyId: string): Refusal | undefined
}

/** Knows whether a session (and so its access and refresh tokens) is still open. */
export interface SessionRegistry {
  isActive(sessionId: string): boolean
}

export type Authentication = Principal | Refusal

export interface Authenticator {
  /** Synchronous when the credential was verified before (the common case), a Promise otherwise. */
  authenticate(request: HttpRequest, options?: { readonly allowCookie?: boolean }): Authentication | Promise<Authentication>
}

const NO_CREDENTIAL = unauthorized("Authentication required: send Authorization: Bearer <token>, Authorization: apikey <key> or X-Machhub-Api-Key")

/**
 * Turns a request's credential into a principal. Token signatures are verified once and cached by a
 * hash of the token until expiry; everything that can be revoked (user disabled, password changed,
 * session revoked, membership or group changed, key suspended) is read from the current read models
 * on every request, so it takes effect on the very next one.
 */
export const makeAuthenticator = (deps: {
  readonly tokens: TokenServiceService
  readonly users: UsersReadModel
  readonly groups: GroupsReadModel
  readonly keys: KeyVerifier
  readonly sessions: SessionRegistry
  /** Reports applied read-model batches, so cached principals are dropped when access changes. */
  readonly onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void
  /** Told of every request an API key was admitted for (KeyUsed sampling); must return at once. */
  readonly onKeyUsed?: (principal: Principal, request: HttpRequest) => void
}): Authenticator => {
  const principals = new PrincipalCache()
  deps.onApplied(principals.observe)

  /** Derives the principal for a verified token and remembers it until the token expires or access changes. */
  const remember = (token: string, verified: VerifiedToken, domain: string): Authentication => {
    const outcome = fromToken(verified, domain)
    if (!isRefusal(outcome)) principals.set(token, domain, outcome, verified.expiresAt)
    return outcome
  }

  const fromToken = (verified: VerifiedToken, domain: string): Authentication => {
    if (verified.use === "refresh") return unauthorized("A refresh token cannot be used here; exchange it at POST /sessions/refresh/")
    const user = deps.users.findById(verified.userId)
    if (user === undefined) return unauthorized("The token's user no longer exists")
    if (user.disabled) return unauthorized("The user is disabled")
    if (verified.credentialsVersion < user.credentialsVersion) return unauthorized("The token predates a password change; log in again")
    if (verified.sessionId !== undefined && !deps.sessions.isActive(verified.sessionId)) {
      return unauthorized("The session has ended; log in again")
    }
    const grants = grantsOf(user, domain, deps.groups)
    if (!grants.member) return forbidden(`Not a member of domain ${domain}`)
    return {
      kind: "user",
      id: user.userId,
      userId: user.userId,
      username: user.username,
      domain,
      groups: grants.groups,
      permissions: grants.permissions,
      superuser: grants.superuser,
      globalSuperuser: grants.globalSuperuser,
      sessionId: verified.sessionId
    }
  }

  return {
    authenticate: (request, options = {}) => {
      const credential = readCredential(request.headers, options)
      if (credential.kind === "none") return NO_CREDENTIAL
      if (credential.kind === "malformed") return unauthorized(credential.message)
      const header = request.headers["domain"]
      const domain = parseDomainHeader(header)
      if (!domain.ok) return { status: 403, message: domain.message }
      if (credential.kind === "key") {
        // A key acts in its own domain when no Domain header names one ("" in the cache key).
        const requested = header === undefined || header.trim() === "" ? undefined : domain.domain
        let principal = principals.get(credential.key, requested ?? "", Date.now() / 1000)
        if (principal === undefined) {
          const resolved = deps.keys.resolve(credential.key, requested)
          if (isRefusal(resolved)) return resolved
          principal = resolved.principal
          principals.set(credential.key, requested ?? "", principal, resolved.validUntil)
        }
        const limited = deps.keys.admit(principal.id)
        if (limited !== undefined) return limited
        deps.onKeyUsed?.(principal, request)
        return principal
      }
      const cached = principals.get(credential.token, domain.domain, Date.now() / 1000)
      if (cached !== undefined) return cached
      const known = deps.tokens.verifiedBefore(credential.token)
      if (known !== undefined) return remember(credential.token, known, domain.domain)
      return runPromise(
        deps.tokens.verify(credential.token).pipe(
          Effect.map((verified) => remember(credential.token, verified, domain.domain)),
          Effect.catchTag("InvalidToken", (error) => Effect.succeed(unauthorized(`Invalid token: ${error.message}`)))
        )
      )
    }
  }
}
