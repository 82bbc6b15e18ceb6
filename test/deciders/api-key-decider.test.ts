import { describe, it } from "vitest"
import { apiKeyDecider, apiKeyUseDecider, type ApiKeyEvent, type IssueKey, type KeyUsed } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const reporting = { feature: "reports", action: "read", scope: "domain" } as const

const issue: IssueKey = {
  type: "issueKey",
  keyId: "k1",
  name: "exporter",
  description: "",
  expiresAt: 0,
  permissions: [reporting],
  scopes: ["reporting"],
  issuedBy: "u1",
  secretHash: "h1"
}

const issued: ApiKeyEvent = {
  type: "KeyIssued",
  data: { keyId: "k1", name: "exporter", description: "", expiresAt: 0, permissions: [reporting], scopes: ["reporting"], issuedBy: "u1", secretHash: "h1" }
}
const revoked: ApiKeyEvent = { type: "KeyRevoked", data: { keyId: "k1" } }
const suspended: ApiKeyEvent = { type: "KeySuspended", data: { keyId: "k1", reason: "abuse" } }

describe("API key decider", () => {
  it("issues a key", () => {
    spec(apiKeyDecider).given([]).when(issue).then([issued])
  })

  it("refuses to issue the same key twice", () => {
    spec(apiKeyDecider).given([issued]).when(issue).rejects("conflict")
  })

  it.each([
    ["an unknown key scope", { scopes: ["everything"] }],
    ["an invalid permission", { permissions: [{ feature: "Reports!", action: "read", scope: "domain" }] }],
    ["an empty name", { name: "  " }],
    ["a negative expiry", { expiresAt: -1 }]
  ])("refuses to issue a key with %s", (_, change) => {
    spec(apiKeyDecider).given([]).when({ ...issue, ...change } as IssueKey).rejects("unprocessable")
  })

  it("updates grants and keeps what was not sent", () => {
    spec(apiKeyDecider).given([issued]).when({ type: "updateKey", scopes: ["audit"] }).then([{
      type: "KeyUpdated",
      data: { keyId: "k1", name: "exporter", description: "", permissions: [reporting], scopes: ["audit"] }
    }])
  })

  it("records nothing for an update that changes nothing", () => {
    spec(apiKeyDecider).given([issued]).when({ type: "updateKey", name: "exporter", scopes: ["reporting"] }).then([])
  })

  it("refuses to change a revoked key", () => {
    spec(apiKeyDecider).given([issued, revoked]).when({ type: "updateKey", name: "x" }).rejects("conflict")
  })

  it("revokes once; revoking again is a no-op", () => {
    spec(apiKeyDecider).given([issued]).when({ type: "revokeKey" }).then([revoked])
    spec(apiKeyDecider).given([issued, revoked]).when({ type: "revokeKey" }).then([])
  })

  it("suspends with a reason and resumes", () => {
    spec(apiKeyDecider).given([issued]).when({ type: "suspendKey", reason: "abuse" }).then([suspended])
    spec(apiKeyDecider).given([issued, suspended]).when({ type: "suspendKey" }).then([])
    spec(apiKeyDecider).given([issued, suspended]).when({ type: "resumeKey" }).then([{ type: "KeyResumed", data: { keyId: "k1" } }])
    spec(apiKeyDecider).given([issued]).when({ type: "resumeKey" }).then([])
  })

  it("cannot suspend or resume a revoked key", () => {
    spec(apiKeyDecider).given([issued, revoked]).when({ type: "suspendKey" }).rejects("conflict")
    spec(apiKeyDecider).given([issued, suspended, revoked]).when({ type: "resumeKey" }).rejects("conflict")
  })

  it("treats a key of another issuer as missing for a caller limited to its own keys", () => {
    spec(apiKeyDecider).given([issued]).when({ type: "revokeKey", onlyIssuedBy: "u2" }).rejects("not_found")
    spec(apiKeyDecider).given([issued]).when({ type: "revokeKey", onlyIssuedBy: "u1" }).then([revoked])
  })

  it("knows no key before it is issued", () => {
    spec(apiKeyDecider).given([]).when({ type: "suspendKey" }).rejects("not_found")
  })
})

describe("API key use decider (KeyUsed, stream apikeyuse-<domain>-<keyId>)", () => {
  const use = (at: string) => ({ type: "recordKeyUse" as const, keyId: "k1", at, route: "GET /machhub/acme.products", address: "10.0.0.7" })
  const used = (at: string): KeyUsed => ({ type: "KeyUsed", data: { keyId: "k1", at, route: "GET /machhub/acme.products", address: "10.0.0.7" } })

  it("records the first use", () => {
    spec(apiKeyUseDecider).given([]).when(use("2030-01-01T10:00:00.000Z")).then([used("2030-01-01T10:00:00.000Z")])
  })

  it("keeps at most one use per key per minute, whichever process sends it", () => {
    spec(apiKeyUseDecider).given([used("2030-01-01T10:00:00.000Z")]).when(use("2030-01-01T10:00:59.999Z")).then([])
    spec(apiKeyUseDecider).given([used("2030-01-01T10:00:00.000Z")]).when(use("2030-01-01T10:01:00.000Z")).then([used("2030-01-01T10:01:00.000Z")])
    // A late sample from a process whose request came earlier moves nothing back.
    spec(apiKeyUseDecider).given([used("2030-01-01T10:05:00.000Z")]).when(use("2030-01-01T10:02:00.000Z")).then([])
  })

  it("refuses a use without a time, key or route", () => {
    spec(apiKeyUseDecider).given([]).when(use("yesterday")).rejects("invalid")
    spec(apiKeyUseDecider).given([]).when({ ...use("2030-01-01T10:00:00.000Z"), keyId: "" }).rejects("invalid")
    spec(apiKeyUseDecider).given([]).when({ ...use("2030-01-01T10:00:00.000Z"), route: "" }).rejects("invalid")
  })
})
