import { describe, it } from "vitest"
import {
  domainDecider,
  failedLoginDecider,
  groupDecider,
  usernameDecider,
  type DomainCreated,
  type GroupEvent,
  type UsernameClaimed
} from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const reportsRead = { feature: "reports", action: "read", scope: "domain" } as const
const usersWrite = { feature: "users", action: "read-write", scope: "self" } as const

describe("domain decider (DomainCreated, stream domain-<name>-<name>)", () => {
  const created: DomainCreated = { type: "DomainCreated", data: { name: "acme" } }

  it("creates a domain that does not exist yet", () => {
    spec(domainDecider).given([]).when({ type: "createDomain", name: "acme" }).then([created])
  })

  it("refuses to create a domain twice", () => {
    spec(domainDecider).given([created]).when({ type: "createDomain", name: "acme" }).rejects("conflict")
  })
})

describe("group decider (stream group-<domain>-<name>)", () => {
  const created: GroupEvent = { type: "GroupCreated", data: { name: "viewers", permissions: [reportsRead] } }

  it("creates a group with its permissions, each once, in a stable order", () => {
    spec(groupDecider).given([]).when({ type: "createGroup", name: "viewers", permissions: [usersWrite, reportsRead, usersWrite] })
      .then([{ type: "GroupCreated", data: { name: "viewers", permissions: [reportsRead, usersWrite] } }])
  })

  it("refuses to create a group that exists", () => {
    spec(groupDecider).given([created]).when({ type: "createGroup", name: "viewers", permissions: [] }).rejects("conflict")
  })

  it("refuses any change to the built-in superuser group", () => {
    spec(groupDecider).given([]).when({ type: "createGroup", name: "superuser", permissions: [] }).rejects("forbidden")
    spec(groupDecider).given([]).when({ type: "grantPermission", name: "superuser", permission: reportsRead }).rejects("forbidden")
  })

  it("grants a permission the group does not hold", () => {
    spec(groupDecider).given([created]).when({ type: "grantPermission", name: "viewers", permission: usersWrite })
      .then([{ type: "PermissionGranted", data: { name: "viewers", permission: usersWrite } }])
  })

  it("grants a permission it already holds as a no-op, so a retry changes nothing", () => {
    spec(groupDecider).given([created]).when({ type: "grantPermission", name: "viewers", permission: reportsRead }).then([])
  })

  it("revokes a permission it holds, and refuses one it does not", () => {
    spec(groupDecider).given([created]).when({ type: "revokePermission", name: "viewers", permission: reportsRead })
      .then([{ type: "PermissionRevoked", data: { name: "viewers", permission: reportsRead } }])
    const revoked: GroupEvent = { type: "PermissionRevoked", data: { name: "viewers", permission: reportsRead } }
    spec(groupDecider).given([created, revoked]).when({ type: "revokePermission", name: "viewers", permission: reportsRead })
      .rejects("not_found")
  })

  it("refuses to change a group that does not exist", () => {
    spec(groupDecider).given([]).when({ type: "grantPermission", name: "ghosts", permission: reportsRead }).rejects("not_found")
    spec(groupDecider).given([]).when({ type: "revokePermission", name: "ghosts", permission: reportsRead }).rejects("not_found")
  })
})

describe("username decider (stream username-machhub_admin-<name>)", () => {
  const claimed: UsernameClaimed = { type: "UsernameClaimed", data: { username: "Ada", userId: "u1" } }

  it("claims a free name", () => {
    spec(usernameDecider).given([]).when({ type: "claimUsername", username: "Ada", userId: "u1" }).then([claimed])
  })

  it("answers a retried claim by the same user with nothing new", () => {
    spec(usernameDecider).given([claimed]).when({ type: "claimUsername", username: "Ada", userId: "u1" }).then([])
  })

  it("refuses a name another user holds", () => {
    spec(usernameDecider).given([claimed]).when({ type: "claimUsername", username: "ada", userId: "u2" }).rejects("conflict")
  })
})

describe("failed login decider (stream login-<domain>-<username key>)", () => {
  it("records every attempt on an unknown username, whatever came before", () => {
    const failed = { type: "LoginFailed", data: { userId: null, username: "ghost", reason: "unknown_user", address: "10.0.0.1" } } as const
    spec(failedLoginDecider).given([]).when({ type: "recordUnknownLogin", username: "ghost", address: "10.0.0.1" }).then([failed])
    spec(failedLoginDecider).given([failed, failed]).when({ type: "recordUnknownLogin", username: "ghost", address: "10.0.0.1" }).then([failed])
  })

  it("keeps at most 256 characters of the name and records a missing address as null", () => {
    spec(failedLoginDecider).given([]).when({ type: "recordUnknownLogin", username: "x".repeat(1_000) })
      .then([{ type: "LoginFailed", data: { userId: null, username: "x".repeat(256), reason: "unknown_user", address: null } }])
  })
})
