import { Effect, Exit } from "effect"
import {
  ADMIN_DOMAIN,
  dispatchKnown,
  LOGIN_CATEGORY,
  USER_CATEGORY,
  uuidv7,
  type ActorRef,
  type CommandBusService,
  type CommandError,
  type PasswordHasherService,
  type TokenClaims
} from "@machhub/core"
import type { UserRow, UsersReadModel } from "@machhub/projections"
import type { LoginThrottle } from "./LoginThrottle.js"

export interface CredentialCheckDependencies {
  readonly commands: CommandBusService
  readonly users: UsersReadModel
  readonly passwords: PasswordHasherService
  readonly loginThrottle: LoginThrottle
}

export interface CredentialAttempt {
  readonly username: string
  readonly password: string
  readonly address: string
  readonly correlationId: string
}

export type CredentialCheck =
  | { readonly _tag: "Valid"; readonly identity: TokenClaims; readonly user: UserRow }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "Throttled"; readonly retryAfterSeconds: number }

/** The one answer for every bad credential, so a caller cannot tell an unknown user from a wrong password. */
export const INVALID_CREDENTIALS = "Invalid Username or Password"

const anonymous: ActorRef = { kind: "anonymous", id: "anonymous" }

/**
 * The password check shared by every login route (POST /auth/login, POST /sessions/). The password is
 * checked here, against the hash in the users read model and off the event loop, so no plaintext
 * password ever travels on the command bus; the user aggregate then decides (disabled? is that hash
 * still current?) and records LoginSucceeded or LoginFailed. Unknown usernames cost the same hashing
 * work and are recorded too. The throttle is consulted first: a throttled attempt checks nothing.
 */
export const checkCredentials = (deps: CredentialCheckDependencies, attempt: CredentialAttempt): Effect.Effect<CredentialCheck, CommandError> =>
  Effect.promise(() => deps.loginThrottle.begin(attempt.username, attempt.address)).pipe(
    Effect.flatMap((verdict): Effect.Effect<CredentialCheck, CommandError> => {
      if (!verdict.allowed) return Effect.succeed({ _tag: "Throttled", retryAfterSeconds: verdict.retryAfterSeconds })
      // Whatever happens, the admitted attempt is settled; one that never got a verdict (bus down)
      // counts neither way.
      return judge(deps, attempt).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() =>
            verdict.attempt.settle(Exit.isSuccess(exit) ? (exit.value._tag === "Valid" ? "succeeded" : "failed") : "abandoned")
          )
        )
      )
    })
  )

/** Checks the password and has the user aggregate decide and record the outcome. */
const judge = (deps: CredentialCheckDependencies, attempt: CredentialAttempt): Effect.Effect<CredentialCheck, CommandError> => {
  const user = deps.users.findByUsername(attempt.username)
  const base = { id: uuidv7(), correlationId: attempt.correlationId, expectedVersion: undefined }
  return user === undefined
    ? deps.passwords.dummyVerify(attempt.password).pipe(
      Effect.andThen(dispatchKnown(deps.commands, {
        ...base,
        type: "recordUnknownLogin",
        category: LOGIN_CATEGORY,
        domain: ADMIN_DOMAIN,
        aggregateId: attempt.username.normalize("NFC").toLowerCase(),
        actor: anonymous,
        payload: { username: attempt.username, address: attempt.address }
      })),
      Effect.as<CredentialCheck>({ _tag: "Invalid" })
    )
    : deps.passwords.verify(user.passwordHash, attempt.password).pipe(
      Effect.flatMap((passwordMatches) =>
        dispatchKnown(deps.commands, {
          ...base,
          type: "login",
          category: USER_CATEGORY,
          domain: user.homeDomain,
          aggregateId: user.userId,
          actor: { kind: "user", id: user.userId },
          payload: { username: user.username, passwordMatches, verifiedHash: user.passwordHash, address: attempt.address }
        })
      ),
      Effect.map((reply): CredentialCheck => {
        const result = reply.result
        return result.ok
          ? {
            _tag: "Valid",
            identity: { userId: result.userId, username: result.username, memberships: result.memberships, credentialsVersion: result.credentialsVersion },
            user
          }
          : { _tag: "Invalid" }
      }),
      // The read model knew a user the aggregate does not (yet): as good as an unknown username.
      Effect.catchTag("CommandRejected", (error) =>
        error.reason === "not_found" ? Effect.succeed<CredentialCheck>({ _tag: "Invalid" }) : Effect.fail(error))
    )
}
