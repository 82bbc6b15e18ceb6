import { Result } from "effect"
import type { Command } from "../../commands/Command.js"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider, DomainEvent } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"

/**
 * Usernames are unique across the system (SPEC §5). Each name is claimed on its own stream
 * `username-machhub_admin-<lower-cased name>` before the user is registered; the store's expected
 * version makes two concurrent claims impossible, on one node or many.
 */
export const USERNAME_CATEGORY = "username"

export type UsernameClaimed = DomainEvent<"UsernameClaimed", { readonly username: string; readonly userId: string }>

export interface ClaimUsername {
  readonly type: "claimUsername"
  readonly username: string
  readonly userId: string
}

export const usernameDecider: Decider<{ readonly userId: string | null }, ClaimUsername, UsernameClaimed> = {
  initialState: () => ({ userId: null }),
  evolve: (_, event) => ({ userId: event.data.userId }),
  decide: (command, state) => {
    if (state.userId === command.userId) return Result.succeed([]) // a retried claim by the same user
    if (state.userId !== null) return Result.fail(new CommandRejected({ reason: "conflict", message: `username ${command.username} is taken` }))
    return Result.succeed([{ type: "UsernameClaimed", data: { username: command.username, userId: command.userId } }])
  }
}

export const usernameKey = (username: string): string => username.normalize("NFC").toLowerCase()

export const usernameAggregate = fromDecider({
  category: USERNAME_CATEGORY,
  decider: usernameDecider,
  toCommand: (command: Command): ClaimUsername | undefined => {
    const payload = command.payload as { username?: unknown; userId?: unknown }
    if (command.type !== "claimUsername" || typeof payload.username !== "string" || typeof payload.userId !== "string") return undefined
    return { type: "claimUsername", username: payload.username, userId: payload.userId }
  },
  reply: (state) => ({ userId: state.userId })
})
