import { Effect } from "effect"
import type { TokenServiceService } from "@machhub/core"
import type { SessionRow, SessionsReadModel, UserRow, UsersReadModel } from "@machhub/projections"
import { unauthorized, type Refusal } from "./Principal.js"
import { readCredential } from "./readCredential.js"

export type AcceptedRefresh = { readonly ok: true; readonly user: UserRow; readonly session: SessionRow } | { readonly ok: false; readonly refusal: Refusal }

const refuse = (message: string): AcceptedRefresh => ({ ok: false, refusal: unauthorized(message) })

/**
 * Whether `Authorization: Bearer <refresh_token>` may buy a new access token: a valid signature, a
 * refresh token (never an access or login token), its user still there, enabled and without a password
 * change since the token was issued, and its session known to this node. Whether the session is still
 * open (not revoked, not expired) is the session aggregate's decision, made next.
 */
export const acceptRefreshToken = (
  deps: { readonly tokens: TokenServiceService; readonly users: UsersReadModel; readonly sessions: SessionsReadModel },
  headers: Readonly<Record<string, string>>
): Effect.Effect<AcceptedRefresh> => {
  const credential = readCredential(headers)
  if (credential.kind === "none") return Effect.succeed(refuse("Send Authorization: Bearer <refresh_token> as returned by POST /sessions/"))
  if (credential.kind === "malformed") return Effect.succeed(refuse(credential.message))
  if (credential.kind === "key") return Effect.succeed(refuse("An API key has no session to refresh; send Authorization: Bearer <refresh_token>"))
  return deps.tokens.verify(credential.token).pipe(
    Effect.map((verified): AcceptedRefresh => {
      if (verified.use !== "refresh" || verified.sessionId === undefined) {
        return refuse("Not a refresh token; send the refresh_token returned by POST /sessions/")
      }
      const user = deps.users.findById(verified.userId)
      if (user === undefined) return refuse("The token's user no longer exists")
      if (user.disabled) return refuse("The user is disabled")
      if (verified.credentialsVersion < user.credentialsVersion) return refuse("The session predates a password change; log in again")
      const session = deps.sessions.find(verified.sessionId)
      if (session === undefined || session.userId !== user.userId) return refuse("The session has ended; log in again")
      return { ok: true, user, session }
    }),
    Effect.catchTag("InvalidToken", (error) => Effect.succeed(refuse(`Invalid refresh token: ${error.message}`)))
  )
}
