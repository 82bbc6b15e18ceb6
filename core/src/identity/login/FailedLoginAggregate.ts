import { Result, Schema } from "effect"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { CommandSchema } from "../../decider/Schemas.js"
import { LoginFailed } from "../user/UserEvents.js"

/**
 * Login attempts for usernames that match no user still belong in the audit log. They are recorded on
 * `login-<domain>-<username key>` so that an unknown name never creates or touches a user stream.
 */
export const LOGIN_CATEGORY = "login"

export const RecordUnknownLogin = CommandSchema("recordUnknownLogin", {
  username: Schema.String,
  // A caller whose address is unknown may leave it out.
  address: Schema.optional(Schema.NullOr(Schema.String))
})
export type RecordUnknownLogin = typeof RecordUnknownLogin.Type

/** Every attempt is recorded, whatever came before: the stream keeps nothing to decide by. */
export type FailedLoginState = { readonly _tag: "Recording" }

const recording: FailedLoginState = { _tag: "Recording" }

export const failedLoginDecider: Decider<FailedLoginState, RecordUnknownLogin, LoginFailed> = {
  initialState: () => recording,
  evolve: (state) => state,
  decide: (command) =>
    Result.succeed([{
      type: "LoginFailed",
      data: { userId: null, username: command.username.slice(0, 256), reason: "unknown_user", address: command.address ?? null }
    }])
}

export const failedLoginAggregate = fromDecider({
  category: LOGIN_CATEGORY,
  decider: failedLoginDecider,
  commands: [RecordUnknownLogin],
  events: [LoginFailed],
  reply: (): { readonly ok: false } => ({ ok: false })
})
