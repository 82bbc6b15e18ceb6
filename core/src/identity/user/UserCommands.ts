import { Schema } from "effect"
import { CommandSchema } from "../../decider/Schemas.js"
import { MembershipSchema, UserProfileSchema } from "./UserEvents.js"

export const RegisterUser = CommandSchema("registerUser", {
  userId: Schema.String,
  username: Schema.String,
  passwordHash: Schema.String,
  memberships: Schema.Array(MembershipSchema),
  profile: Schema.optional(UserProfileSchema)
})
export type RegisterUser = typeof RegisterUser.Type

/**
 * A login attempt for this user. The edge has already checked the password against `verifiedHash`
 * (the hash it read from the users read model) off the event loop, so no plaintext password travels
 * on the bus; the decider only accepts that verdict if the hash is still the user's current one.
 */
export const Login = CommandSchema("login", {
  username: Schema.String,
  passwordMatches: Schema.Boolean,
  verifiedHash: Schema.String,
  address: Schema.NullOr(Schema.String)
})
export type Login = typeof Login.Type

export const SetMembership = CommandSchema("setMembership", { membership: MembershipSchema })
export type SetMembership = typeof SetMembership.Type

/**
 * Leave one domain. `homeDomain` is the domain of the stream the command was sent to (filled in from
 * the command's envelope, never from a payload), so the decider can tell the home domain apart.
 */
export const RemoveMembership = CommandSchema("removeMembership", { domain: Schema.String, homeDomain: Schema.String })
export type RemoveMembership = typeof RemoveMembership.Type

export const DisableUser = CommandSchema("disableUser", {})
export type DisableUser = typeof DisableUser.Type

export const EnableUser = CommandSchema("enableUser", {})
export type EnableUser = typeof EnableUser.Type

/** Carries the new hash, computed off the event loop before the command was sent. */
export const ChangePassword = CommandSchema("changePassword", { passwordHash: Schema.String })
export type ChangePassword = typeof ChangePassword.Type

export const USER_COMMANDS = [RegisterUser, Login, SetMembership, RemoveMembership, DisableUser, EnableUser, ChangePassword] as const

export type UserCommand = (typeof USER_COMMANDS)[number]["Type"]
