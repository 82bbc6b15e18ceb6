import { fromDecider } from "../../decider/fromDecider.js"
import { USER_COMMANDS } from "./UserCommands.js"
import { userDecider, type RegisteredUser } from "./UserDecider.js"
import { USER_EVENTS } from "./UserEvents.js"

export const USER_CATEGORY = "user"

/** What a login command answers: the identity to put into a token, or a refusal. */
export type LoginResult =
  | {
    readonly ok: true
    readonly userId: string
    readonly username: string
    readonly memberships: RegisteredUser["memberships"]
    readonly credentialsVersion: number
  }
  | { readonly ok: false }

export const userAggregate = fromDecider({
  category: USER_CATEGORY,
  decider: userDecider,
  commands: USER_COMMANDS,
  events: USER_EVENTS,
  // The stream lives in the home domain, so the envelope's domain is the home domain.
  fromEnvelope: (command) => ({ homeDomain: command.domain }),
  reply: (state, events): LoginResult | { readonly userId: string } => {
    // Every command but a registration is refused before the user exists, so a reply sees one.
    const userId = state._tag === "Registered" ? state.userId : ""
    const last = events[events.length - 1]
    if (last?.type === "LoginSucceeded" && state._tag === "Registered") {
      return {
        ok: true,
        userId,
        username: state.username,
        memberships: state.memberships,
        credentialsVersion: state.credentialsVersion
      }
    }
    if (last?.type === "LoginFailed") return { ok: false }
    return { userId }
  }
})
