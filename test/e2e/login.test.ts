import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeJwt, decodeProtectedHeader } from "jose"
import { ADMIN_PASSWORD, postJson, startTestServer, type TestServer } from "../support/server.js"

describe("POST /auth/login", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.dispose())

  const allEvents = () => Effect.runPromise(server.store.readAll(1, 10_000))

  it.each(["/auth/login", "/machhub/auth/login"])("%s answers a signed EdDSA token for the right password", async (path) => {
    const response = await postJson(`${server.url}${path}`, { username: "admin", password: ADMIN_PASSWORD })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { success: boolean; tkn: string }
    expect(body.success).toBe(true)
    expect(decodeProtectedHeader(body.tkn).alg).toBe("EdDSA")
    const claims = decodeJwt(body.tkn)
    expect(claims).toMatchObject({ username: "admin", domains: ["machhub_admin"], groups: { machhub_admin: ["superuser"] }, iss: "machhub", aud: "machhub" })
    expect(claims.exp! - claims.iat!).toBe(24 * 3600)
  })

  it("refuses a wrong password with 401 and records LoginFailed carrying the correlation id", async () => {
    const correlationId = "0190f3c2-aaaa-7bbb-8ccc-000000000001"
    const response = await postJson(`${server.url}/auth/login`, { username: "admin", password: "wrong" }, { "App-CorrelationID": correlationId })
    expect(response.status).toBe(401)
    expect(await response.text()).toBe("Invalid Username or Password")
    expect(response.headers.get("app-correlationid")).toBe(correlationId)
    const failed = (await allEvents()).find((e) => e.meta.correlationId === correlationId)
    expect(failed?.type).toBe("LoginFailed")
    expect(failed?.data).toMatchObject({ username: "admin", reason: "bad_password", address: "127.0.0.1" })
    expect(failed?.meta.actor.kind).toBe("user")
  })

  it("refuses an unknown username the same way and still records the attempt", async () => {
    const correlationId = "0190f3c2-aaaa-7bbb-8ccc-000000000002"
    const response = await postJson(`${server.url}/auth/login`, { username: "mallory", password: "x" }, { "App-CorrelationID": correlationId })
    expect(response.status).toBe(401)
    expect(await response.text()).toBe("Invalid Username or Password")
    const failed = (await allEvents()).find((e) => e.meta.correlationId === correlationId)
    expect(failed).toMatchObject({ type: "LoginFailed", stream: "login-machhub_admin-mallory", data: { reason: "unknown_user" } })
  })

  it("records LoginSucceeded and never writes a password into any event", async () => {
    await postJson(`${server.url}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })
    const events = await allEvents()
    expect(events.some((e) => e.type === "LoginSucceeded")).toBe(true)
    const everything = JSON.stringify(events)
    expect(everything).not.toContain(ADMIN_PASSWORD)
    expect(everything).not.toContain("wrong\"")
  })

  it.each([
    ["missing fields", { username: "admin" }],
    ["wrong types", { username: 42, password: true }],
    ["an array", [1, 2]],
    ["empty username", { username: "", password: "x" }],
    ["an absurdly long username", { username: "a".repeat(10_000), password: "x" }]
  ])("answers 400 with a reason for %s", async (_, body) => {
    const response = await postJson(`${server.url}/auth/login`, body)
    expect(response.status).toBe(400)
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await response.text()).toMatch(/^Invalid request body: /)
  })
})
