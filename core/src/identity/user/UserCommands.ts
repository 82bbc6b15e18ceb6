import type { Membership } from "./UserEvents.js"

export interface RegisterUser {
  readonly type: "registerUser"
  readonly userId: string
  readonly username: string
  readonly passwordHash: string
  readonly memberships: ReadonlyArray<Membership>
}

/**
 * A login attempt for this user. The edge has already checked the password against `verifiedHash`
 * (the hash it read from the users read model) off the event loop, so no plaintext password travels
 * on the bus; the decider only accepts that verdict if the hash is still the user's current one.
 */
export interface Login {
  readonly type: "login"
  readonly username: string
  readonly passwordMatches: boolean
  readonly verifiedHash: string
  readonly address: string | null
}

export interface SetMembership {
  readonly type: "setMembership"
  readonly membership: Membership
}

/**
 * Leave one domain. `homeDomain` is the domain of the stream the command was sent to (filled in from
 * the command's envelope, never from a payload), so the decider can tell the home domain apart.
 */
export interface RemoveMembership {
  readonly type: "removeMembership"
  readonly domain: string
  readonly homeDomain: string
}

export interface DisableUser {
  readonly type: "disableUser"
}

export interface EnableUser {
  readonly type: "enableUser"
}

/** Carries the new hash, computed off the event loop before the command was sent. */
export interface ChangePassword {
  readonly type: "changePassword"
  readonly passwordHash: string
}

export type UserCommand = RegisterUser | Login | SetMembership | RemoveMembership | DisableUser | EnableUser | ChangePassword
