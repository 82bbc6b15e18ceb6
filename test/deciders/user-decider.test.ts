import { describe, it } from "vitest"
import { userDecider, type UserEvent } from "@machhub/core"
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
})
