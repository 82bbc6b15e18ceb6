import { Result } from "effect"
import type { Command } from "../../commands/Command.js"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import type { LoginFailed } from "../user/UserEvents.js"

/**
 * Login attempts for usernames that match no user still belong in the audit log. They are recorded on
 * `login-<domain>-<username key>` so that an unknown name never creates or touches a user stream.
 */
export const LOGIN_CATEGORY = "login"

export interface RecordUnknownLogin {
  readonly type: "recordUnknownLogin"
  readonly username: string
  readonly address: string | null
}

export const failedLoginDecider: Decider<null, RecordUnknownLogin, LoginFailed> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: (command) =>
    Result.succeed([{
      type: "LoginFailed",
      data: { userId: null, username: command.username, reason: "unknown_user", address: command.address }
    }])
}

export const failedLoginAggregate = fromDecider({
  category: LOGIN_CATEGORY,
  decider: failedLoginDecider,
  toCommand: (command: Command): RecordUnknownLogin | undefined => {
    const payload = command.payload as { username?: unknown; address?: unknown } | null
    if (command.type !== "recordUnknownLogin" || payload === null || typeof payload.username !== "string") return undefined
    return {
      type: "recordUnknownLogin",
      username: payload.username.slice(0, 256),
      address: typeof payload.address === "string" ? payload.address : null
    }
  },
  reply: () => ({ ok: false })
})
