import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { uuidv7 } from "@machhub/core"
import { ADMIN_PASSWORD, postJson, startTestServer, type TestServer } from "../support/server.js"

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`

/** One login attempt by any of the three routes that check a password. */
const attempt = (server: TestServer, route: "login" | "machhub" | "sessions", username: string, password: string, correlationId = uuidv7()) =>
  route === "sessions"
    ? fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: basic(username, password), "App-CorrelationID": correlationId } })
    : postJson(`${server.url}${route === "login" ? "/auth/login" : "/machhub/auth/login"}`, { username, password }, { "App-CorrelationID": correlationId })

const expectThrottled = async (response: Response) => {
  expect(response.status).toBe(429)
  const retryAfter = response.headers.get("retry-after")
  expect(retryAfter).toMatch(/^\d+$/)
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/)
  expect(await response.text()).toMatch(/^Too many failed login attempts; retry in \d+ seconds$/)
  return Number(retryAfter)
}

describe("login throttling per username", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      env: { MACHHUB_LOGIN_MAX_FAILURES: "3", MACHHUB_LOGIN_MAX_FAILURES_PER_ADDRESS: "1000", MACHHUB_LOGIN_THROTTLE_WINDOW_SECONDS: "2" }
    })
  })
  afterAll(() => server.dispose())

  it("refuses a username after repeated failures on any login route, without checking the password", async () => {
    expect((await attempt(server, "login", "admin", "wrong-1")).status).toBe(401)
    expect((await attempt(server, "machhub", "admin", "wrong-2")).status).toBe(401)
    expect((await attempt(server, "sessions", "admin", "wrong-3")).status).toBe(401)

    const correlationId = uuidv7()
    const retryAfter = await expectThrottled(await attempt(server, "login", "ADMIN", ADMIN_PASSWORD, correlationId))
    expect(retryAfter).toBeLessThanOrEqual(2)
    await expectThrottled(await attempt(server, "sessions", "admin", ADMIN_PASSWORD))
    await expectThrottled(await attempt(server, "machhub", "admin", ADMIN_PASSWORD))
    // The throttled attempt was not judged: no LoginSucceeded or LoginFailed carries its id.
    const events = await Effect.runPromise(server.store.readAll(1, 100_000))
    expect(events.filter((e) => e.meta.correlationId === correlationId)).toEqual([])

    // Other usernames are unaffected.
    expect((await attempt(server, "login", "someone-else", "whatever-1")).status).toBe(401)

    // Once the failures leave the window, the right password works again.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100))
    expect((await attempt(server, "login", "admin", ADMIN_PASSWORD)).status).toBe(200)
  })

  it("forgets a username's failures when it logs in successfully", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_100)) // an empty window
    expect((await attempt(server, "login", "admin", "wrong-1")).status).toBe(401)
    expect((await attempt(server, "login", "admin", "wrong-2")).status).toBe(401)
    expect((await attempt(server, "sessions", "admin", ADMIN_PASSWORD)).status).toBe(201)
    expect((await attempt(server, "login", "admin", "wrong-3")).status).toBe(401)
    expect((await attempt(server, "login", "admin", "wrong-4")).status).toBe(401)
    expect((await attempt(server, "login", "admin", ADMIN_PASSWORD)).status).toBe(200)
  })
})

describe("login throttling per address", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_LOGIN_MAX_FAILURES: "100", MACHHUB_LOGIN_MAX_FAILURES_PER_ADDRESS: "4" } })
  })
  afterAll(() => server.dispose())

  it("refuses every username from an address after its failures, unknown usernames included", async () => {
    for (const username of ["mallory-1", "mallory-2", "mallory-3"]) expect((await attempt(server, "login", username, "guess-1")).status).toBe(401)
    expect((await attempt(server, "sessions", "admin", "guess-1")).status).toBe(401)
    const retryAfter = await expectThrottled(await attempt(server, "login", "mallory-4", "guess-1"))
    expect(retryAfter).toBeGreaterThan(800) // the default window is 15 minutes
    expect(retryAfter).toBeLessThanOrEqual(900)
    await expectThrottled(await attempt(server, "sessions", "admin", ADMIN_PASSWORD))
    await expectThrottled(await attempt(server, "machhub", "admin", ADMIN_PASSWORD))
  })
})

describe("login throttling under concurrency", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_LOGIN_MAX_FAILURES: "3", MACHHUB_LOGIN_MAX_FAILURES_PER_ADDRESS: "1000" } })
  })
  afterAll(() => server.dispose())

  it("lets a parallel burst of guesses make no more failed attempts than the limit", async () => {
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(server, "login", "admin", `guess-${i}`).then((r) => r.status)))
    expect(statuses.filter((s) => s === 401)).toHaveLength(3)
    expect(statuses.filter((s) => s === 429)).toHaveLength(7)
  })

  it("does not throttle many parallel logins that succeed", async () => {
    const other = await startTestServer({ env: { MACHHUB_LOGIN_MAX_FAILURES: "2", MACHHUB_LOGIN_MAX_FAILURES_PER_ADDRESS: "2" } })
    try {
      const statuses = await Promise.all(Array.from({ length: 12 }, () => attempt(other, "sessions", "admin", ADMIN_PASSWORD).then((r) => r.status)))
      expect(statuses).toEqual(Array(12).fill(201))
    } finally {
      await other.dispose()
    }
  })
})
