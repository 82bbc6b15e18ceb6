import { Effect, Schema } from "effect"
import { json, text, type HttpHandler } from "@machhub/adapters"
import {
  ADMIN_DOMAIN,
  LOGIN_CATEGORY,
  USER_CATEGORY,
  uuidv7,
  type ActorRef,
  type CommandBusService,
  type LoginResult,
  type PasswordHasherService,
  type TokenServiceService
} from "@machhub/core"
import type { UsersReadModel } from "@machhub/projections"
import { commandErrorResponse } from "./commandErrors.js"
import { decodeBody } from "./decodeBody.js"

const LoginBody = Schema.Struct({
  username: Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(256)),
  password: Schema.String.check(Schema.isMaxLength(1024))
})
const readLoginBody = decodeBody(LoginBody)

export interface LoginDependencies {
  readonly commands: CommandBusService
  readonly users: UsersReadModel
  readonly passwords: PasswordHasherService
  readonly tokens: TokenServiceService
}

const INVALID = "Invalid Username or Password"
const anonymous: ActorRef = { kind: "anonymous", id: "anonymous" }

/**
 * `POST /auth/login` (SPEC §2). The password is checked here, against the hash in the users read model
 * and off the event loop, so no plaintext password ever travels on the command bus; the user aggregate
 * then decides (disabled? is that hash still current?) and records LoginSucceeded or LoginFailed.
 */
export const login = (deps: LoginDependencies): HttpHandler => (request) => {
  const body = readLoginBody(request)
  if (!body.ok) return body.response
  const { username, password } = body.value
  const user = deps.users.findByUsername(username)
  const base = { id: uuidv7(), correlationId: request.correlationId, expectedVersion: undefined }

  const program = user === undefined
    ? deps.passwords.dummyVerify(password).pipe(
      Effect.andThen(deps.commands.dispatch({
        ...base,
        type: "recordUnknownLogin",
        category: LOGIN_CATEGORY,
        domain: ADMIN_DOMAIN,
        aggregateId: username.normalize("NFC").toLowerCase(),
        actor: anonymous,
        payload: { username, address: request.remoteAddress }
      })),
      Effect.as(text(401, INVALID))
    )
    : deps.passwords.verify(user.passwordHash, password).pipe(
      Effect.flatMap((passwordMatches) =>
        deps.commands.dispatch({
          ...base,
          type: "login",
          category: USER_CATEGORY,
          domain: user.homeDomain,
          aggregateId: user.userId,
          actor: { kind: "user", id: user.userId },
          payload: { username: user.username, passwordMatches, verifiedHash: user.passwordHash, address: request.remoteAddress }
        })
      ),
      Effect.flatMap((reply) => {
        const result = reply.result as LoginResult
        if (!result.ok) return Effect.succeed(text(401, INVALID))
        return deps.tokens.issue(result).pipe(Effect.map((tkn) => json(200, { success: true, tkn })))
      })
    )

  return Effect.runPromise(
    program.pipe(
      Effect.catchTag("CommandRejected", (error) =>
        Effect.succeed(error.reason === "not_found" ? text(401, INVALID) : commandErrorResponse(error))),
      Effect.catchTags({
        CommandUnavailable: (error) => Effect.succeed(commandErrorResponse(error)),
        CommandFailed: (error) => Effect.succeed(commandErrorResponse(error))
      })
    )
  )
}
