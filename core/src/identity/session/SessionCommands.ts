export interface OpenSession {
  readonly type: "openSession"
  readonly sessionId: string
  readonly userId: string
  readonly refreshExpiresAt: number
  readonly address: string | null
}

/**
 * Buys a new access token. Deciders have no clock, so the edge sends `now` (seconds since the epoch);
 * `userId` is the refresh token's subject, which must be the session's user.
 */
export interface RefreshSession {
  readonly type: "refreshSession"
  readonly sessionId: string
  readonly userId: string
  readonly now: number
}

export interface RevokeSession {
  readonly type: "revokeSession"
  readonly sessionId: string
  readonly by: string
}

export type SessionCommand = OpenSession | RefreshSession | RevokeSession
