import { Context, type Effect, Schema } from "effect"
import type { Membership } from "./user/UserEvents.js"

/** The identity a session token asserts (SPEC §2: user id, username, groups and domains). */
export interface TokenClaims {
  readonly userId: string
  readonly username: string
  readonly memberships: ReadonlyArray<Membership>
}

export interface VerifiedToken extends TokenClaims {
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number
}

export class InvalidToken extends Schema.TaggedError<InvalidToken>()("InvalidToken", {
  message: Schema.String
}) {}

/** Issues and verifies signed session tokens (EdDSA JWTs). */
export interface TokenServiceService {
  issue(claims: TokenClaims): Effect.Effect<string>
  verify(token: string): Effect.Effect<VerifiedToken, InvalidToken>
}

export class TokenService extends Context.Service<TokenService, TokenServiceService>()("@machhub/core/TokenService") {}
