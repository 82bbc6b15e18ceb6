import { Result } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import type { UserCommand } from "./UserCommands.js"
import type { LoginFailureReason, Membership, UserEvent, UserProfile } from "./UserEvents.js"

/** A user account: absent until registered. */
export type UserState =
  | { readonly _tag: "Absent" }
  | {
    readonly _tag: "Registered"
    readonly userId: string
    readonly username: string
    readonly passwordHash: string
    readonly memberships: ReadonlyArray<Membership>
    /** Empty for accounts registered without one. */
    readonly profile: UserProfile
    readonly disabled: boolean
    /** Counts password changes; tokens carry the count they were issued under. */
    readonly credentialsVersion: number
  }

export type RegisteredUser = Extract<UserState, { readonly _tag: "Registered" }>

const initialState = (): UserState => ({ _tag: "Absent" })

const evolve = (state: UserState, event: UserEvent): UserState => {
  if (event.type === "UserRegistered") {
    return {
      _tag: "Registered",
      userId: event.data.userId,
      username: event.data.username,
      passwordHash: event.data.passwordHash,
      memberships: event.data.memberships,
      profile: event.data.profile ?? {},
      disabled: false,
      credentialsVersion: 0
    }
  }
  // Nothing but a registration can come first in a user's stream.
  if (state._tag === "Absent") return state
  switch (event.type) {
    case "MembershipSet":
      return {
        ...state,
        memberships: [...state.memberships.filter((m) => m.domain !== event.data.membership.domain), event.data.membership]
      }
    case "MembershipRemoved":
      return { ...state, memberships: state.memberships.filter((m) => m.domain !== event.data.domain) }
    case "UserDisabled":
      return { ...state, disabled: true }
    case "UserEnabled":
      return { ...state, disabled: false }
    case "PasswordChanged":
      return { ...state, passwordHash: event.data.passwordHash, credentialsVersion: state.credentialsVersion + 1 }
    case "LoginSucceeded":
    case "LoginFailed":
      return state
  }
}

const loginVerdict = (command: Extract<UserCommand, { type: "login" }>, state: RegisteredUser): LoginFailureReason | null => {
  if (state.disabled) return "disabled"
  if (command.verifiedHash !== state.passwordHash) return "credentials_changed"
  return command.passwordMatches ? null : "bad_password"
}

const notFound = new CommandRejected({ reason: "not_found", message: "no such user" })

const decide = (command: UserCommand, state: UserState): Result.Result<ReadonlyArray<UserEvent>, CommandRejected> => {
  if (command.type === "registerUser") {
    if (state._tag === "Registered") return Result.fail(new CommandRejected({ reason: "conflict", message: `user ${state.username} already exists` }))
    return Result.succeed([{
      type: "UserRegistered",
      data: {
        userId: command.userId,
        username: command.username,
        passwordHash: command.passwordHash,
        memberships: command.memberships,
        // Recorded only when something was given, so a registration without one reads as before.
        ...(command.profile === undefined || Object.keys(command.profile).length === 0 ? {} : { profile: command.profile })
      }
    }])
  }
  if (state._tag === "Absent") return Result.fail(notFound)
  switch (command.type) {
    case "setMembership":
      return Result.succeed([{ type: "MembershipSet", data: { userId: state.userId, membership: command.membership } }])
    case "removeMembership": {
      // Not a member (any more): nothing to do, so a retried removal answers like the first one.
      if (!state.memberships.some((m) => m.domain === command.domain)) return Result.succeed([])
      if (command.domain === command.homeDomain) {
        return Result.fail(new CommandRejected({
          reason: "conflict",
          message: `${command.domain} is the home domain of ${state.username}: an account cannot leave its home domain; disable the user instead`
        }))
      }
      if (state.memberships.length === 1) {
        return Result.fail(new CommandRejected({
          reason: "conflict",
          message: `${command.domain} is the last domain of ${state.username}: an account keeps at least one membership; disable the user instead`
        }))
      }
      return Result.succeed([{ type: "MembershipRemoved", data: { userId: state.userId, domain: command.domain } }])
    }
    case "disableUser":
      return Result.succeed(state.disabled ? [] : [{ type: "UserDisabled", data: { userId: state.userId } }])
    case "enableUser":
      return Result.succeed(state.disabled ? [{ type: "UserEnabled", data: { userId: state.userId } }] : [])
    case "changePassword":
      return Result.succeed([{ type: "PasswordChanged", data: { userId: state.userId, passwordHash: command.passwordHash } }])
    case "login": {
      const reason = loginVerdict(command, state)
      if (reason === null) {
        return Result.succeed([{
          type: "LoginSucceeded",
          data: { userId: state.userId, username: state.username, address: command.address }
        }])
      }
      return Result.succeed([{
        type: "LoginFailed",
        data: { userId: state.userId, username: state.username, reason, address: command.address }
      }])
    }
  }
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = { initialState, evolve, decide }
