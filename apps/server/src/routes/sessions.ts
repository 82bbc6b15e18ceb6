import { Effect } from "effect"
import { Schema } from "effect"
import { json, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { isAllowed, isUuid, SESSION_CATEGORY, type CommandError, type TokenClaims } from "@machhub/core"
import { makeSessionsReadModel, type SessionsReadModel } from "@machhub/projections"
import { acceptRefreshToken } from "../auth/acceptRefreshToken.js"
import { readBasicCredentials } from "../auth/basicCredentials.js"
import { checkCredentials, INVALID_CREDENTIALS } from "../auth/checkCredentials.js"
import { grantsOf } from "../auth/grantsOf.js"
import { throttledResponse } from "../auth/LoginThrottle.js"
import { actorOf } from "../auth/Principal.js"
import { accountActionRefusal, USERS_ADMIN } from "../identity/accountReach.js"
import { missingPermission, render } from "../api/refusals.js"
import { anyCaller, error, ok, publicRoute, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Principal } from "../auth/Principal.js"
import { loginRoutes } from "./login.js"
import type { ServerContext } from "../ServerContext.js"
import { parseDomainHeader } from "./domainHeader.js"
import { IDEMPOTENCY_KEY_PROBLEM, idempotencyKeyOf, keyedId } from "./idempotency.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"

// Tokens must not be kept by caches between client and server (RFC 6749 §5.1).
const NO_STORE = { "Cache-Control": "no-store" }
const BASIC_CHALLENGE = { "WWW-Authenticate": 'Basic realm="machhub", charset="UTF-8"' }
const NO_SUCH_SESSION = "No such session"
const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * `POST /sessions/` (SPEC §2, Machinable): Basic credentials → an access token and a refresh token
 * bound to a new session. The session belongs to the `Domain` header's domain when one is sent (the
 * user must be a member), else to the user's home domain: Machinable clients send no Domain header.
 */
const openSession = (context: ServerContext) => (request: HttpRequest): HttpResponse | Promise<HttpResponse> => {
  const basic = readBasicCredentials(request.headers["authorization"])
  if (!basic.ok) return text(basic.status, basic.message, basic.status === 401 ? BASIC_CHALLENGE : undefined)
  const domainHeader = request.headers["domain"]
  const requested = parseDomainHeader(domainHeader)
  if (!requested.ok) return text(403, requested.message)
  // Checked before the login, which records its own event.
  if (!idempotencyKeyOf(request).ok) return text(400, IDEMPOTENCY_KEY_PROBLEM)
  const address = request.remoteAddress

  return respond(
    checkCredentials(context, { username: basic.username, password: basic.password, address, correlationId: request.correlationId }).pipe(
      Effect.flatMap((outcome): Effect.Effect<HttpResponse, CommandError> => {
        if (outcome._tag === "Throttled") return Effect.succeed(throttledResponse(outcome.retryAfterSeconds))
        if (outcome._tag === "Invalid") return Effect.succeed(text(401, INVALID_CREDENTIALS, BASIC_CHALLENGE))
        const { identity, user } = outcome
        const domain = domainHeader === undefined || domainHeader.trim() === "" ? user.homeDomain : requested.domain
        // Membership as the aggregate just confirmed it, not as the read model had it.
        if (!grantsOf({ ...user, memberships: identity.memberships }, domain, context.groups).member) {
          return Effect.succeed(text(403, `Not a member of domain ${domain}`))
        }
        const sessionId = keyedId(request, domain, { kind: "user", id: identity.userId }, "session")
        const refreshExpiresAt = nowSeconds() + context.config.refreshTokenSeconds
        return runCommand(context, {
          type: "openSession",
          category: SESSION_CATEGORY,
          domain,
          aggregateId: sessionId,
          payload: { userId: identity.userId, refreshExpiresAt, address },
          actor: { kind: "user", id: identity.userId },
          correlationId: request.correlationId,
          idempotencyKey: request.headers["idempotency-key"]
        }).pipe(
          Effect.flatMap((reply) =>
            Effect.all([
              // The session's own expiry: a retried opening answers the first try's session.
              issueAccessToken(context, identity, sessionId, reply.result.refreshExpiresAt),
              context.tokens.issue(identity, { use: "refresh", sessionId, lifetimeSeconds: context.config.refreshTokenSeconds })
            ]).pipe(
              Effect.map(([access_token, refresh_token]) =>
                json(201, { message: "Successfully logged in", access_token, refresh_token, session_id: sessionId }, {
                  ...mutationHeaders(reply),
                  ...NO_STORE
                }))
            )
          )
        )
      })
    )
  )
}

/** An access token never outlives its session: its lifetime stops at the session's refresh expiry. */
const issueAccessToken = (context: ServerContext, identity: TokenClaims, sessionId: string, sessionEndsAt: number) =>
  context.tokens.issue(identity, {
    use: "access",
    sessionId,
    lifetimeSeconds: Math.max(1, Math.min(context.config.accessTokenSeconds, sessionEndsAt - nowSeconds()))
  })

/**
 * `POST /sessions/refresh/`: `Authorization: Bearer <refresh_token>` → `{ access_token }`. The new
 * token carries the user's current memberships. The session aggregate refuses a revoked or expired
 * session (and records each refresh it allows).
 */
const refreshSession = (context: ServerContext, sessions: SessionsReadModel) => (request: HttpRequest): Promise<HttpResponse> =>
  respond(
    acceptRefreshToken({ ...context, sessions }, request.headers).pipe(
      Effect.flatMap((accepted): Effect.Effect<HttpResponse, CommandError> => {
        if (!accepted.ok) {
          const { status, message, headers } = accepted.refusal
          return Effect.succeed(text(status, message, headers as Record<string, string> | undefined))
        }
        const { user, session } = accepted
        return runCommand(context, {
          type: "refreshSession",
          category: SESSION_CATEGORY,
          domain: session.domain,
          aggregateId: session.sessionId,
          payload: { userId: user.userId, now: nowSeconds() },
          actor: { kind: "user", id: user.userId },
          correlationId: request.correlationId,
          idempotencyKey: request.headers["idempotency-key"]
        }).pipe(
          Effect.flatMap(() => {
            const claims = { userId: user.userId, username: user.username, memberships: user.memberships, credentialsVersion: user.credentialsVersion }
            return issueAccessToken(context, claims, session.sessionId, session.refreshExpiresAt)
          }),
          Effect.map((access_token) => json(200, { access_token }, NO_STORE)),
          // Refused by the session (revoked, expired, gone): the refresh token is worthless, so 401.
          Effect.catchTag("CommandRejected", (error) =>
            error.reason === "unauthorized" || error.reason === "not_found"
              ? Effect.succeed(text(401, `Refresh refused: ${error.message}`, { "WWW-Authenticate": 'Bearer realm="machhub"' }))
              : Effect.fail(error))
        )
      })
    )
  )

/**
 * `DELETE /sessions/<id>`: the session's own user may end it, and so may whoever holds
 * users:read-write:domain in the session's domain (the active domain) and in every other domain the
 * session's user belongs to, since the session's tokens act in all of them (identity/accountReach.ts).
 * Sessions of other domains are not revealed to anyone else: 404, as for an id that does not exist.
 */
const revokeSession = (context: ServerContext, sessions: SessionsReadModel) => (request: HttpRequest, principal: Principal, id: string): HttpResponse | Promise<HttpResponse> => {
  const session = isUuid(id) ? sessions.find(id.toLowerCase()) : undefined
  if (session === undefined) return text(404, NO_SUCH_SESSION)
  const own = principal.kind === "user" && principal.userId === session.userId
  if (!own) {
    if (session.domain !== principal.domain) return text(404, NO_SUCH_SESSION)
    if (!isAllowed(principal.permissions, USERS_ADMIN, principal.superuser)) {
      return render("text", missingPermission(USERS_ADMIN, principal.domain, " to end another user's session"))
    }
    const user = context.users.findById(session.userId)
    const refused = user === undefined ? undefined : accountActionRefusal(context, principal, user, "endSession")
    if (refused !== undefined) return text(403, refused)
  }
  return respond(
    runCommand(context, {
      type: "revokeSession",
      category: SESSION_CATEGORY,
      domain: session.domain,
      aggregateId: session.sessionId,
      payload: {},
      actor: actorOf(principal),
      correlationId: request.correlationId,
      idempotencyKey: request.headers["idempotency-key"]
    }).pipe(Effect.map((reply) => json(200, { success: true, session_id: session.sessionId, revoked: true }, mutationHeaders(reply))))
  )
}

const Tokens = Schema.Struct({ message: Schema.String, access_token: Schema.String, refresh_token: Schema.String, session_id: Schema.String })

/**
 * Sessions area: logins (SPEC §2) and Machinable sessions. The Router treats `/sessions/` and
 * `/sessions` as one route. Opening and refreshing read their own credential (Basic credentials, a
 * refresh token), so they are public to the guard.
 */
export const sessionRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const sessions = makeSessionsReadModel(context.readModels)
  const open = openSession(context)
  const refresh = refreshSession(context, sessions)
  const revoke = revokeSession(context, sessions)
  return [
    ...loginRoutes(context),
    route({
      method: "POST",
      path: "/sessions",
      tag: "sessions",
      summary: "Open a session with Basic credentials: an access token and a refresh token",
      description: "Authorization: Basic <base64 username:password>. The session belongs to the Domain header's domain, else to the user's home domain.",
      access: publicRoute,
      headers: ["Authorization", "Idempotency-Key"],
      responses: {
        201: ok("Session opened", Tokens),
        401: error("Missing or wrong Basic credentials"),
        403: error("Not a member of the requested domain, or a malformed Domain header"),
        429: error("Too many failed logins; retry after Retry-After")
      },
      handler: ({ request }) => open(request)
    }),
    route({
      method: "POST",
      path: "/sessions/refresh",
      tag: "sessions",
      summary: "Exchange a refresh token (Authorization: Bearer <refresh_token>) for a new access token",
      access: publicRoute,
      headers: ["Authorization", "Idempotency-Key"],
      responses: {
        200: ok("A new access token", Schema.Struct({ access_token: Schema.String })),
        401: error("The refresh token is missing, invalid, or its session ended")
      },
      handler: ({ request }) => refresh(request)
    }),
    route({
      method: "DELETE",
      path: "/sessions/:id",
      tag: "sessions",
      summary: "End a session (one's own, or a user's of the active domain with users:read-write:domain)",
      access: anyCaller,
      params: { id: "The session id" },
      headers: ["Idempotency-Key"],
      responses: {
        200: ok("Ended", Schema.Struct({ success: Schema.Literal(true), session_id: Schema.String, revoked: Schema.Literal(true) })),
        403: error("Missing permission to end another user's session"),
        404: error("No such session")
      },
      handler: ({ request, params: { id }, principal }) => revoke(request, principal, id)
    })
  ]
}
