import { Effect, Schema } from "effect"
import { json, text } from "@machhub/adapters"
import type { TokenServiceService } from "@machhub/core"
import { checkCredentials, INVALID_CREDENTIALS, type CredentialCheckDependencies } from "../auth/checkCredentials.js"
import { throttledResponse } from "../auth/LoginThrottle.js"
import { respond } from "./runCommand.js"
import { body, error, ok, publicRoute, route, type AnyRoute } from "../api/RouteDeclaration.js"

const LoginBody = Schema.Struct({
  username: Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(256)),
  password: Schema.String.check(Schema.isMaxLength(1024))
})

export interface LoginDependencies extends CredentialCheckDependencies {
  readonly tokens: TokenServiceService
}

/**
 * `POST /auth/login` (SPEC §2), also at `/machhub/auth/login`: `{ username, password }` →
 * `{ success: true, tkn }`, a login token of the configured lifetime. The password check, its audit
 * events and throttling live in checkCredentials, shared with `POST /sessions/`.
 */
export const loginRoutes = (deps: LoginDependencies): ReadonlyArray<AnyRoute> =>
  ["/auth/login", "/machhub/auth/login"].map((path) =>
    route({
      method: "POST",
      path,
      tag: "sessions",
      summary: "Log in with a username and password; answers a login token",
      access: publicRoute,
      body: body(LoginBody),
      responses: {
        200: ok("Logged in", Schema.Struct({ success: Schema.Literal(true), tkn: Schema.String })),
        401: error("Wrong username or password"),
        429: error("Too many failed logins for this username or address; retry after Retry-After")
      },
      handler: ({ request, body: { username, password } }) =>
        respond(
          checkCredentials(deps, { username, password, address: request.remoteAddress, correlationId: request.correlationId }).pipe(
            Effect.flatMap((outcome) => {
              switch (outcome._tag) {
                case "Throttled":
                  return Effect.succeed(throttledResponse(outcome.retryAfterSeconds))
                case "Invalid":
                  return Effect.succeed(text(401, INVALID_CREDENTIALS))
                case "Valid":
                  return deps.tokens.issue(outcome.identity).pipe(Effect.map((tkn) => json(200, { success: true, tkn })))
              }
            })
          )
        )
    }))
