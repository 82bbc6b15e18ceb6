import type { SessionsReadModel } from "@machhub/projections"
import type { SessionRegistry } from "./Authenticator.js"

/**
 * Open sessions, answered from the sessions read model on every request (one indexed lookup), so a
 * revocation takes effect on the very next request. A session also ends when its refresh token
 * expires: no access token may outlive the session it was issued for.
 */
export const makeSessionRegistry = (
  sessions: SessionsReadModel,
  nowSeconds: () => number = () => Date.now() / 1000
): SessionRegistry => ({
  isActive: (sessionId) => {
    const session = sessions.find(sessionId)
    return session !== undefined && !session.revoked && nowSeconds() < session.refreshExpiresAt
  }
})
