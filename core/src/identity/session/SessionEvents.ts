import { Schema } from "effect"
import { EventSchema } from "../../decider/Schemas.js"

/**
 * A Machinable-style session (SPEC §2): opened by a Basic login, kept alive by refresh tokens, ended
 * by revocation or by its refresh expiry. Access tokens carry the session id, so ending the session
 * ends every token issued for it.
 */
export const SessionOpened = EventSchema("SessionOpened", {
  sessionId: Schema.String,
  userId: Schema.String,
  refreshExpiresAt: Schema.Number.annotate({ description: "When the session's refresh token stops buying access tokens, seconds since the epoch." }),
  address: Schema.NullOr(Schema.String)
}, "A Machinable-style session (SPEC §2): opened by a Basic login, kept alive by refresh tokens, ended by revocation or by its refresh expiry. Access tokens carry the session id, so ending the session ends every token issued for it.")
export type SessionOpened = typeof SessionOpened.Type

export const SessionRefreshed = EventSchema("SessionRefreshed", { sessionId: Schema.String })
export type SessionRefreshed = typeof SessionRefreshed.Type

/** `by` is the id of whoever revoked it: the session's own user or an administrator of its domain. */
export const SessionRevoked = EventSchema("SessionRevoked", {
  sessionId: Schema.String,
  by: Schema.String
}, "`by` is the id of whoever revoked it: the session's own user or an administrator of its domain.")
export type SessionRevoked = typeof SessionRevoked.Type

export const SESSION_EVENTS = [SessionOpened, SessionRefreshed, SessionRevoked] as const

export type SessionEvent = (typeof SESSION_EVENTS)[number]["Type"]
