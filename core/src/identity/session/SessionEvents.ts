import type { DomainEvent } from "../../decider/Decider.js"

/**
 * A Machinable-style session (SPEC §2): opened by a Basic login, kept alive by refresh tokens, ended
 * by revocation or by its refresh expiry. Access tokens carry the session id, so ending the session
 * ends every token issued for it.
 */
export type SessionOpened = DomainEvent<"SessionOpened", {
  readonly sessionId: string
  readonly userId: string
  /** When the session's refresh token stops buying access tokens, seconds since the epoch. */
  readonly refreshExpiresAt: number
  readonly address: string | null
}>

export type SessionRefreshed = DomainEvent<"SessionRefreshed", { readonly sessionId: string }>

/** `by` is the id of whoever revoked it: the session's own user or an administrator of its domain. */
export type SessionRevoked = DomainEvent<"SessionRevoked", { readonly sessionId: string; readonly by: string }>

export type SessionEvent = SessionOpened | SessionRefreshed | SessionRevoked
