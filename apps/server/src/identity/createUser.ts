import { Effect } from "effect"
import {
  CommandRejected,
  USER_CATEGORY,
  USERNAME_CATEGORY,
  ADMIN_DOMAIN,
  usernameKey,
  uuidv7,
  type ActorRef,
  type CommandError,
  type CommandReply,
  type Membership,
  type PasswordHasherService,
  type UserProfile
} from "@machhub/core"
import { derivedId } from "../routes/idempotency.js"
import { runCommand, type CommandContext } from "../routes/runCommand.js"
import { passwordProblem } from "./passwordPolicy.js"

export interface NewUser {
  readonly userId?: string
  readonly username: string
  readonly password: string
  readonly homeDomain: string
  readonly membership: Membership
  /** Recorded with the registration when given (identity/userProfile.ts checks it first). */
  readonly profile?: UserProfile | undefined
  readonly actor: ActorRef
  readonly correlationId: string
  /** The request's Idempotency-Key: the user id then derives from it, so a retry creates no second user. */
  readonly idempotencyKey?: string | undefined
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/

/**
 * Creates a user: checks the username and password rules, hashes the password off the event loop,
 * claims the username on its own stream (unique across the system, 409 when taken), then registers
 * the user. Nothing is half-created: a failed claim registers nothing; a claim whose registration
 * failed is re-used by the same user id on retry.
 */
export const createUser = (context: CommandContext & { readonly passwords: PasswordHasherService }, user: NewUser): Effect.Effect<CommandReply, CommandError> =>
  Effect.gen(function*() {
    if (!USERNAME.test(user.username)) {
      return yield* new CommandRejected({
        reason: "unprocessable",
        message: "a username needs 1 to 128 characters: letters, digits and . _ @ + - (starting with a letter or digit)"
      })
    }
    const problem = passwordProblem(user.password, user.username)
    if (problem !== undefined) return yield* new CommandRejected({ reason: "unprocessable", message: problem })
    const userId = user.userId ?? derivedId(user.homeDomain, user.actor, "user", user.idempotencyKey) ?? uuidv7()
    const passwordHash = yield* context.passwords.hash(user.password)
    yield* runCommand(context, {
      type: "claimUsername",
      category: USERNAME_CATEGORY,
      domain: ADMIN_DOMAIN,
      aggregateId: usernameKey(user.username),
      payload: { username: user.username, userId },
      actor: user.actor,
      correlationId: user.correlationId,
      idempotencyKey: user.idempotencyKey
    })
    return yield* runCommand(context, {
      type: "registerUser",
      category: USER_CATEGORY,
      domain: user.homeDomain,
      aggregateId: userId,
      payload: { userId, username: user.username, passwordHash, memberships: [user.membership], profile: user.profile },
      actor: user.actor,
      correlationId: user.correlationId,
      idempotencyKey: user.idempotencyKey
    })
  })
