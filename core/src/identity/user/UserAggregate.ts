import type { Command } from "../../commands/Command.js"
import { fromDecider } from "../../decider/fromDecider.js"
import type { UserCommand } from "./UserCommands.js"
import { userDecider, type UserState } from "./UserDecider.js"
import type { UserEvent } from "./UserEvents.js"

export const USER_CATEGORY = "user"

/** What a login command answers: the identity to put into a token, or a refusal. */
export type LoginResult =
  | {
    readonly ok: true
    readonly userId: string
    readonly username: string
    readonly memberships: UserState["memberships"]
    readonly credentialsVersion: number
  }
  | { readonly ok: false }

const toUserCommand = (command: Command): UserCommand | undefined => {
  const payload = command.payload as Record<string, unknown> | null
  if (payload === null || typeof payload !== "object") return undefined
  switch (command.type) {
    case "registerUser":
    case "login":
    case "setMembership":
    case "disableUser":
    case "enableUser":
    case "changePassword":
      return { ...payload, type: command.type } as UserCommand
    case "removeMembership":
      // The stream lives in the home domain, so the envelope's domain is the home domain.
      return typeof payload["domain"] === "string"
        ? { type: "removeMembership", domain: payload["domain"], homeDomain: command.domain }
        : undefined
    default:
      return undefined
  }
}

export const userAggregate = fromDecider<UserState, UserCommand, UserEvent>({
  category: USER_CATEGORY,
  decider: userDecider,
  toCommand: toUserCommand,
  reply: (state, events): LoginResult | { readonly userId: string } => {
    const last = events[events.length - 1]
    if (last?.type === "LoginSucceeded") {
      return {
        ok: true,
        userId: state.userId,
        username: state.username,
        memberships: state.memberships,
        credentialsVersion: state.credentialsVersion
      }
    }
    if (last?.type === "LoginFailed") return { ok: false }
    return { userId: state.userId }
  }
})
