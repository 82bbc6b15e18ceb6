import { Result, Schema } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { CommandSchema, EventSchema } from "../../decider/Schemas.js"

/**
 * Usernames are unique across the system (SPEC §5). Each name is claimed on its own stream
 * `username-machhub_admin-<lower-cased name>` before the user is registered; the store's expected
 * version makes two concurrent claims impossible, on one node or many.
 */
export const USERNAME_CATEGORY = "username"

export const UsernameClaimed = EventSchema("UsernameClaimed", { username: Schema.String, userId: Schema.String })
export type UsernameClaimed = typeof UsernameClaimed.Type

export const ClaimUsername = CommandSchema("claimUsername", { username: Schema.String, userId: Schema.String })
export type ClaimUsername = typeof ClaimUsername.Type

/** A username: free, or claimed by one user. */
export type UsernameState =
  | { readonly _tag: "Free" }
  | { readonly _tag: "Claimed"; readonly userId: string }

export const usernameDecider: Decider<UsernameState, ClaimUsername, UsernameClaimed> = {
  initialState: () => ({ _tag: "Free" }),
  evolve: (_, event) => ({ _tag: "Claimed", userId: event.data.userId }),
  decide: (command, state) => {
    if (state._tag === "Free") return Result.succeed([{ type: "UsernameClaimed", data: { username: command.username, userId: command.userId } }])
    if (state.userId === command.userId) return Result.succeed([]) // a retried claim by the same user
    return Result.fail(new CommandRejected({ reason: "conflict", message: `username ${command.username} is taken` }))
  }
}

export const usernameKey = (username: string): string => username.normalize("NFC").toLowerCase()

export const usernameAggregate = fromDecider({
  category: USERNAME_CATEGORY,
  decider: usernameDecider,
  commands: [ClaimUsername],
  events: [UsernameClaimed],
  reply: (state): { readonly userId: string | null } => ({ userId: state._tag === "Claimed" ? state.userId : null })
})
