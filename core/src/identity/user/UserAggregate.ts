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
  // Every command but a registration is refused before the user exists, so a reply sees one.
  reply: (state): { readonly userId: string } => ({ userId: state._tag === "Registered" ? state.userId : "" }),
  replies: {
    login: (state, events): LoginResult =>
      events[events.length - 1]?.type === "LoginSucceeded" && state._tag === "Registered"
        ? { ok: true, userId: state.userId, username: state.username, memberships: state.memberships, credentialsVersion: state.credentialsVersion }
        : { ok: false }
  }
})
