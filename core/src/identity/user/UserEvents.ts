import type { DomainEvent } from "../../decider/Decider.js"

import type { Access, Role } from "../../access/RoleAccess.js"

/**
 * Membership of a user in one domain: the groups that carry the user's permissions there, and
 * optionally a Machinable role/access (mapped onto permissions, SPEC §3).
 */
export interface Membership {
  readonly domain: string
  readonly groups: ReadonlyArray<string>
  readonly role?: Role
  readonly access?: ReadonlyArray<Access>
}

/** Why a login was refused; recorded for auditors, never shown to the caller (who only sees 401). */
export type LoginFailureReason = "bad_password" | "disabled" | "unknown_user" | "credentials_changed"

export type UserRegistered = DomainEvent<"UserRegistered", {
  readonly userId: string
  readonly username: string
  /** A memory-hard hash (scrypt, parameters inside); never the password. */
  readonly passwordHash: string
  readonly memberships: ReadonlyArray<Membership>
}>

export type LoginSucceeded = DomainEvent<"LoginSucceeded", {
  readonly userId: string
  readonly username: string
  readonly address: string | null
}>

export type LoginFailed = DomainEvent<"LoginFailed", {
  readonly userId: string | null
  readonly username: string
  readonly reason: LoginFailureReason
  readonly address: string | null
}>

/** Sets (adds or replaces) the user's membership in one domain. */
export type MembershipSet = DomainEvent<"MembershipSet", { readonly userId: string; readonly membership: Membership }>

/**
 * Ends the user's membership in one domain: they can no longer act there. Never the home domain
 * (the one whose stream holds the account), so an account always keeps at least one membership.
 */
export type MembershipRemoved = DomainEvent<"MembershipRemoved", {
  readonly userId: string
  /** The domain the user left (the stream's domain is the home domain). */
  readonly domain: string
}>

export type UserDisabled = DomainEvent<"UserDisabled", { readonly userId: string }>
export type UserEnabled = DomainEvent<"UserEnabled", { readonly userId: string }>

/** The new hash only; tokens issued before this instant stop working. */
export type PasswordChanged = DomainEvent<"PasswordChanged", { readonly userId: string; readonly passwordHash: string }>

export type UserEvent =
  | UserRegistered
  | LoginSucceeded
  | LoginFailed
  | MembershipSet
  | MembershipRemoved
  | UserDisabled
  | UserEnabled
  | PasswordChanged
