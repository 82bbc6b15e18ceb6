import { Schema } from "effect"
import { CommandSchema } from "../../decider/Schemas.js"

/** The session id is the aggregate id (filled in from the envelope). */
export const OpenSession = CommandSchema("openSession", {
  sessionId: Schema.String,
  userId: Schema.String,
  refreshExpiresAt: Schema.Int,
  // A caller whose address is unknown may leave it out.
  address: Schema.optional(Schema.NullOr(Schema.String))
})
export type OpenSession = typeof OpenSession.Type

/**
 * Buys a new access token. Deciders have no clock, so the edge sends `now` (seconds since the epoch);
 * `userId` is the refresh token's subject, which must be the session's user.
 */
export const RefreshSession = CommandSchema("refreshSession", {
  sessionId: Schema.String,
  userId: Schema.String,
  now: Schema.Int
})
export type RefreshSession = typeof RefreshSession.Type

/** `by` is the command's actor (filled in from the envelope), never the payload. */
export const RevokeSession = CommandSchema("revokeSession", {
  sessionId: Schema.String,
  by: Schema.String
})
export type RevokeSession = typeof RevokeSession.Type

export const SESSION_COMMANDS = [OpenSession, RefreshSession, RevokeSession] as const

export type SessionCommand = (typeof SESSION_COMMANDS)[number]["Type"]
