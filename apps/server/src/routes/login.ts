import { Effect, Schema } from "effect"
import { json, text, type HttpHandler } from "@machhub/adapters"
import type { TokenServiceService } from "@machhub/core"
import { checkCredentials, INVALID_CREDENTIALS, type CredentialCheckDependencies } from "../auth/checkCredentials.js"
import { throttledResponse } from "../auth/LoginThrottle.js"
import { respond } from "./runCommand.js"
import { decodeBody } from "./decodeBody.js"

const LoginBody = Schema.Struct({
  username: Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(256)),
  password: Schema.String.check(Schema.isMaxLength(1024))
})
const readLoginBody = decodeBody(LoginBody)

export interface LoginDependencies extends CredentialCheckDependencies {
  readonly tokens: TokenServiceService
}

/**
 * `POST /auth/login` (SPEC §2): `{ username, password }` → `{ success: true, tkn }`, a login token of
 * the configured lifetime. The password check, its audit events and throttling live in
 * checkCredentials, shared with `POST /sessions/`.
 */
export const login = (deps: LoginDependencies): HttpHandler => (request) => {
  const body = readLoginBody(request)
  if (!body.ok) return body.response
  const { username, password } = body.value
  return respond(
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
}
