import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { UserRegistered, userDecider, type UserEvent } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const registered: UserEvent = {
  type: "UserRegistered",
  data: { userId: "u1", username: "ada", passwordHash: "scrypt$h1", memberships: [{ domain: "acme", groups: ["operators"] }] }
}

describe("user decider", () => {
  it("registers a new user", () => {
    spec(userDecider).given([]).when({
      type: "registerUser",
      userId: "u1",
      username: "ada",
      passwordHash: "scrypt$h1",
      memberships: [{ domain: "acme", groups: ["operators"] }]
    }).then([registered])
  })

  it("refuses to register the same user twice", () => {
    spec(userDecider).given([registered]).when({
      type: "registerUser",
      userId: "u1",
      username: "ada",
      passwordHash: "scrypt$h2",
      memberships: []
    }).rejects("conflict")
  })

  it("records a successful login when the password matched the current hash", () => {
    spec(userDecider).given([registered]).when({
      type: "login",
      username: "ada",
      passwordMatches: true,
      verifiedHash: "scrypt$h1",
      address: "127.0.0.1"
    }).then([{ type: "LoginSucceeded", data: { userId: "u1", username: "ada", address: "127.0.0.1" } }])
  })

  it("records a failed login for a wrong password", () => {
    spec(userDecider).given([registered]).when({
      type: "login",
      username: "ada",
      passwordMatches: false,
      verifiedHash: "scrypt$h1",
      address: null
    }).then([{ type: "LoginFailed", data: { userId: "u1", username: "ada", reason: "bad_password", address: null } }])
  })

  it("does not trust a verdict reached against a hash that is no longer current", () => {
    spec(userDecider).given([registered]).when({
      type: "login",
      username: "ada",
      passwordMatches: true,
      verifiedHash: "scrypt$old",
      address: null
    }).then([{ type: "LoginFailed", data: { userId: "u1", username: "ada", reason: "credentials_changed", address: null } }])
  })

  it("refuses a login for a user that does not exist", () => {
    spec(userDecider).given([]).when({
      type: "login",
      username: "ghost",
      passwordMatches: true,
      verifiedHash: "x",
      address: null
    }).rejects("not_found")
  })
  describe("profile", () => {
    const profile = { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", number: "+44 20 7946 0000", userImage: "data:image/png;base64,iVBORw0KGgo=" }

    it("records the profile given at registration", () => {
      spec(userDecider).given([]).when({
        type: "registerUser",
        userId: "u1",
        username: "ada",
        passwordHash: "scrypt$h1",
        memberships: [{ domain: "acme", groups: [] }],
        profile
      }).then([{
        type: "UserRegistered",
        data: { userId: "u1", username: "ada", passwordHash: "scrypt$h1", memberships: [{ domain: "acme", groups: [] }], profile }
      }])
    })

    it("records no profile when none or an empty one is given, so such a registration reads as before profiles existed", () => {
      spec(userDecider).given([]).when({
        type: "registerUser",
        userId: "u1",
        username: "ada",
        passwordHash: "scrypt$h1",
        memberships: [{ domain: "acme", groups: ["operators"] }],
        profile: {}
      }).then([registered])
    })

    it("folds the profile into the state; a registration without one leaves it empty", () => {
      const withProfile = userDecider.evolve(userDecider.initialState(), {
        type: "UserRegistered",
        data: { userId: "u1", username: "ada", passwordHash: "scrypt$h1", memberships: [], profile }
      })
      expect(withProfile._tag === "Registered" && withProfile.profile).toEqual(profile)
      const without = userDecider.evolve(userDecider.initialState(), registered)
      expect(without._tag === "Registered" && without.profile).toEqual({})
    })

    it("decodes a registration recorded before profiles existed, and refuses a profile field of the wrong type", () => {
      const old = { type: "UserRegistered", data: { userId: "u1", username: "ada", passwordHash: "scrypt$h1", memberships: [] } }
      expect(Schema.decodeUnknownSync(UserRegistered)(old)).toEqual(old)
      expect(() => Schema.decodeUnknownSync(UserRegistered)({ ...old, data: { ...old.data, profile: { email: 42 } } })).toThrow()
    })
  })

  describe("leaving a domain", () => {
    const sharedWithBeta: UserEvent = {
      type: "MembershipSet",
      data: { userId: "u1", membership: { domain: "beta", groups: ["viewers"] } }
    }

    it("removes a membership other than the home domain's", () => {
      spec(userDecider).given([registered, sharedWithBeta]).when({ type: "removeMembership", domain: "beta", homeDomain: "acme" })
        .then([{ type: "MembershipRemoved", data: { userId: "u1", domain: "beta" } }])
    })

    it("folds the removal out of the memberships the next decision sees", () => {
      const removed: UserEvent = { type: "MembershipRemoved", data: { userId: "u1", domain: "beta" } }
      // A second removal finds nothing to remove: a retry appends nothing.
      spec(userDecider).given([registered, sharedWithBeta, removed]).when({ type: "removeMembership", domain: "beta", homeDomain: "acme" }).then([])
      // And the membership can be given again afterwards.
      spec(userDecider).given([registered, sharedWithBeta, removed]).when({ type: "setMembership", membership: { domain: "beta", groups: [] } })
        .then([{ type: "MembershipSet", data: { userId: "u1", membership: { domain: "beta", groups: [] } } }])
    })

    it("appends nothing for a domain the user is not a member of", () => {
      spec(userDecider).given([registered]).when({ type: "removeMembership", domain: "gamma", homeDomain: "acme" }).then([])
    })

    it("refuses to remove the home domain's membership, even when others remain", () => {
      spec(userDecider).given([registered, sharedWithBeta]).when({ type: "removeMembership", domain: "acme", homeDomain: "acme" }).rejects("conflict")
    })

    it("refuses to remove the last membership", () => {
      // An account whose home membership is not among its memberships (its only one is elsewhere).
      const elsewhere: UserEvent = {
        type: "UserRegistered",
        data: { userId: "u1", username: "ada", passwordHash: "scrypt$h1", memberships: [{ domain: "beta", groups: [] }] }
      }
      spec(userDecider).given([elsewhere]).when({ type: "removeMembership", domain: "beta", homeDomain: "acme" }).rejects("conflict")
    })

    it("refuses for a user that does not exist", () => {
      spec(userDecider).given([]).when({ type: "removeMembership", domain: "beta", homeDomain: "acme" }).rejects("not_found")
    })
  })
})
