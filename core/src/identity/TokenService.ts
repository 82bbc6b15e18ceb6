import { Context, type Effect, Schema } from "effect"
import type { Membership } from "./user/UserEvents.js"

/** The identity a session token asserts (SPEC §2: user id, username, groups and domains). */
export interface TokenClaims {
  readonly userId: string
  readonly username: string
  readonly memberships: ReadonlyArray<Membership>
  /** The user's password-change count at issue: a later change invalidates the token. */
  readonly credentialsVersion: number
}

/**
 * What a token may be used for: `login` tokens (POST /auth/login) and `access` tokens (sessions) open
 * protected routes; `refresh` tokens only buy new access tokens. Each use is refused where another is
 * expected, so a refresh token never works as an access token nor the reverse.
 */
export type TokenUse = "login" | "access" | "refresh"

export interface IssueOptions {
  readonly use: TokenUse
  readonly sessionId?: string
  readonly lifetimeSeconds?: number
}

export interface VerifiedToken extends TokenClaims {
  readonly use: TokenUse
  readonly sessionId: string | undefined
  /** Issue time and expiry, seconds since the epoch. */
  readonly issuedAt: number
  readonly expiresAt: number
}

export class InvalidToken extends Schema.TaggedError<InvalidToken>()("InvalidToken", {
  message: Schema.String
}) {}

/** Issues and verifies signed session tokens (EdDSA JWTs). */
export interface TokenServiceService {
  issue(claims: TokenClaims, options?: IssueOptions): Effect.Effect<string>
  verify(token: string): Effect.Effect<VerifiedToken, InvalidToken>
  /** A token verified before and not yet expired, without doing any cryptography; else undefined. */
  verifiedBefore(token: string): VerifiedToken | undefined
}

export class TokenService extends Context.Service<TokenService, TokenServiceService>()("@machhub/core/TokenService") {}
