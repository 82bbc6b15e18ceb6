import { describe, it } from "vitest"
import { sessionDecider, type SessionEvent } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const opened: SessionEvent = {
  type: "SessionOpened",
  data: { sessionId: "s1", userId: "u1", refreshExpiresAt: 1_000, address: "127.0.0.1" }
}
const revoked: SessionEvent = { type: "SessionRevoked", data: { sessionId: "s1", by: "u1" } }

describe("session decider", () => {
  it("opens a session", () => {
    spec(sessionDecider).given([]).when({ type: "openSession", sessionId: "s1", userId: "u1", refreshExpiresAt: 1_000, address: "127.0.0.1" })
      .then([opened])
  })

  it("refuses to open the same session twice", () => {
    spec(sessionDecider).given([opened]).when({ type: "openSession", sessionId: "s1", userId: "u2", refreshExpiresAt: 2_000, address: null })
      .rejects("conflict")
  })

  it("refuses a refresh expiry that is not a positive whole second", () => {
    spec(sessionDecider).given([]).when({ type: "openSession", sessionId: "s1", userId: "u1", refreshExpiresAt: 1.5, address: null })
      .rejects("invalid")
  })

  it("refreshes an open session before its expiry", () => {
    spec(sessionDecider).given([opened]).when({ type: "refreshSession", sessionId: "s1", userId: "u1", now: 999 })
      .then([{ type: "SessionRefreshed", data: { sessionId: "s1" } }])
  })

  it("refuses to refresh at or after the refresh expiry", () => {
    spec(sessionDecider).given([opened]).when({ type: "refreshSession", sessionId: "s1", userId: "u1", now: 1_000 }).rejects("unauthorized")
  })

  it("refuses to refresh a revoked session", () => {
    spec(sessionDecider).given([opened, revoked]).when({ type: "refreshSession", sessionId: "s1", userId: "u1", now: 10 }).rejects("unauthorized")
  })

  it("refuses a refresh by another user's token", () => {
    spec(sessionDecider).given([opened]).when({ type: "refreshSession", sessionId: "s1", userId: "u2", now: 10 }).rejects("unauthorized")
  })

  it("refuses to refresh or revoke a session that was never opened", () => {
    spec(sessionDecider).given([]).when({ type: "refreshSession", sessionId: "s1", userId: "u1", now: 10 }).rejects("not_found")
    spec(sessionDecider).given([]).when({ type: "revokeSession", sessionId: "s1", by: "u1" }).rejects("not_found")
  })

  it("revokes an open session, recording who did it", () => {
    spec(sessionDecider).given([opened]).when({ type: "revokeSession", sessionId: "s1", by: "admin" })
      .then([{ type: "SessionRevoked", data: { sessionId: "s1", by: "admin" } }])
  })

  it("revoking twice records nothing more", () => {
    spec(sessionDecider).given([opened, revoked]).when({ type: "revokeSession", sessionId: "s1", by: "u1" }).then([])
  })
})
