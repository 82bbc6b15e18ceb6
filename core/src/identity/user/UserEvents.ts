import type { DomainEvent } from "../../decider/Decider.js"

/** Membership of a user in one domain, with the groups that carry the user's permissions there. */
export interface Membership {
  readonly domain: string
  readonly groups: ReadonlyArray<string>
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

export type UserEvent = UserRegistered | LoginSucceeded | LoginFailed
