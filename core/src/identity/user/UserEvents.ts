import { Schema } from "effect"
import { AccessSchema, RoleSchema } from "../../access/RoleAccess.js"
import { EventSchema } from "../../decider/Schemas.js"

/**
 * Membership of a user in one domain: the groups that carry the user's permissions there, and
 * optionally a Machinable role/access (mapped onto permissions, SPEC §3).
 */
export const MembershipSchema = Schema.Struct({
  domain: Schema.String,
  groups: Schema.Array(Schema.String),
  role: Schema.optional(RoleSchema),
  access: Schema.optional(Schema.Array(AccessSchema))
}).annotate({
  identifier: "Membership",
  description:
    "Membership of a user in one domain: the groups that carry the user's permissions there, and optionally a Machinable role/access (mapped onto permissions, SPEC §3)."
})
export type Membership = typeof MembershipSchema.Type

/** Why a login was refused; recorded for auditors, never shown to the caller (who only sees 401). */
export const LoginFailureReasonSchema = Schema.Literals(["bad_password", "disabled", "unknown_user", "credentials_changed"]).annotate({
  identifier: "LoginFailureReason",
  description: "Why a login was refused; recorded for auditors, never shown to the caller (who only sees 401)."
})
export type LoginFailureReason = typeof LoginFailureReasonSchema.Type

/**
 * What a user says about themselves (the MACHHUB SDK's `createUser` fields). Every field is optional:
 * accounts registered before profiles existed, and those made without one, have none. The edge checks
 * lengths and shapes before a command carries them.
 */
export const UserProfileSchema = Schema.Struct({
  firstName: Schema.optionalKey(Schema.String),
  lastName: Schema.optionalKey(Schema.String),
  email: Schema.optionalKey(Schema.String),
  number: Schema.optionalKey(Schema.String.annotate({ description: "A phone number as the user wrote it." })),
  userImage: Schema.optionalKey(Schema.String.annotate({ description: "The user's picture as a (base64 or data: URL) string, size-limited by the edge." }))
}).annotate({
  identifier: "UserProfile",
  description:
    "What a user says about themselves (the MACHHUB SDK's createUser fields). Every field is optional: accounts registered before profiles existed, and those made without one, have none."
})
export type UserProfile = typeof UserProfileSchema.Type

export const UserRegistered = EventSchema("UserRegistered", {
  userId: Schema.String,
  username: Schema.String,
  passwordHash: Schema.String.annotate({ description: "A memory-hard hash (scrypt, parameters inside); never the password." }),
  memberships: Schema.Array(MembershipSchema),
  // Optional so that registrations recorded before profiles existed still decode.
  profile: Schema.optionalKey(UserProfileSchema)
})
export type UserRegistered = typeof UserRegistered.Type

export const LoginSucceeded = EventSchema("LoginSucceeded", {
  userId: Schema.String,
  username: Schema.String,
  address: Schema.NullOr(Schema.String)
})
export type LoginSucceeded = typeof LoginSucceeded.Type

export const LoginFailed = EventSchema("LoginFailed", {
  userId: Schema.NullOr(Schema.String),
  username: Schema.String,
  reason: LoginFailureReasonSchema,
  address: Schema.NullOr(Schema.String)
})
export type LoginFailed = typeof LoginFailed.Type

/** Sets (adds or replaces) the user's membership in one domain. */
export const MembershipSet = EventSchema("MembershipSet", {
  userId: Schema.String,
  membership: MembershipSchema
}, "Sets (adds or replaces) the user's membership in one domain.")
export type MembershipSet = typeof MembershipSet.Type

/**
 * Ends the user's membership in one domain: they can no longer act there. Never the home domain
 * (the one whose stream holds the account), so an account always keeps at least one membership.
 */
export const MembershipRemoved = EventSchema("MembershipRemoved", {
  userId: Schema.String,
  domain: Schema.String.annotate({ description: "The domain the user left (the stream's domain is the home domain)." })
}, "Ends the user's membership in one domain: they can no longer act there. Never the home domain (the one whose stream holds the account), so an account always keeps at least one membership.")
export type MembershipRemoved = typeof MembershipRemoved.Type

export const UserDisabled = EventSchema("UserDisabled", { userId: Schema.String })
export type UserDisabled = typeof UserDisabled.Type
export const UserEnabled = EventSchema("UserEnabled", { userId: Schema.String })
export type UserEnabled = typeof UserEnabled.Type

/** The new hash only; tokens issued before this instant stop working. */
export const PasswordChanged = EventSchema("PasswordChanged", {
  userId: Schema.String,
  passwordHash: Schema.String
}, "The new hash only; tokens issued before this instant stop working.")
export type PasswordChanged = typeof PasswordChanged.Type

export const USER_EVENTS = [
  UserRegistered,
  LoginSucceeded,
  LoginFailed,
  MembershipSet,
  MembershipRemoved,
  UserDisabled,
  UserEnabled,
  PasswordChanged
] as const

export type UserEvent = (typeof USER_EVENTS)[number]["Type"]
