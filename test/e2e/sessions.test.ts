import { Effect } from "effect"
import { decodeJwt } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeScryptPasswordHasher } from "@machhub/adapters"
import {
  ADMIN_DOMAIN,
  DOMAIN_CATEGORY,
  GROUP_CATEGORY,
  SESSION_CATEGORY,
  systemActor,
  USER_CATEGORY,
  USERNAME_CATEGORY,
  usernameKey,
  uuidv7,
  type RecordedEvent
} from "@machhub/core"
import { rawRequest, statusOf } from "../support/rawHttp.js"
import { ADMIN_PASSWORD, loginAsAdmin, postJson, startTestServer, type TestServer } from "../support/server.js"

interface OpenedSession {
  readonly message: string
  readonly access_token: string
  readonly refresh_token: string
  readonly session_id: string
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`
const bearer = (token: string, domain?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(domain === undefined ? {} : { domain: `domains:${domain}` })
})
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))
const hasher = makeScryptPasswordHasher({ logN: 10 })

/** Seeds users, groups and domains with commands, independent of the management routes. */
const seeding = (server: TestServer) => {
  const dispatch = (command: { type: string; category: string; domain: string; aggregateId: string; payload: unknown }) =>
    Effect.runPromise(
      server.commands.dispatch({ id: uuidv7(), correlationId: uuidv7(), actor: systemActor, ...command }).pipe(
        Effect.tap((reply) => server.projections!.waitFor(reply.position))
      )
    )
  return {
    dispatch,
    domain: (name: string) => dispatch({ type: "createDomain", category: DOMAIN_CATEGORY, domain: name, aggregateId: name, payload: {} }),
    group: (domain: string, name: string, permissions: Array<{ feature: string; action: string; scope: string }>) =>
      dispatch({ type: "createGroup", category: GROUP_CATEGORY, domain, aggregateId: name, payload: { permissions } }),
    user: async (username: string, domain: string, groups: Array<string> = []) => {
      const userId = uuidv7()
      const password = `${username}-password-123`
      const passwordHash = await Effect.runPromise(hasher.hash(password))
      await dispatch({ type: "claimUsername", category: USERNAME_CATEGORY, domain: ADMIN_DOMAIN, aggregateId: usernameKey(username), payload: { username, userId } })
      await dispatch({
        type: "registerUser",
        category: USER_CATEGORY,
        domain,
        aggregateId: userId,
        payload: { userId, username, passwordHash, memberships: [{ domain, groups }] }
      })
      return { userId, username, password, domain }
    }
  }
}

const sessionClient = (server: TestServer) => ({
  open: (authorization: string | undefined, headers: Record<string, string> = {}, path = "/sessions/") =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { ...(authorization === undefined ? {} : { authorization }), ...headers } }),
  openAs: async (user: { username: string; password: string }, headers: Record<string, string> = {}): Promise<OpenedSession> => {
    const response = await fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: basic(user.username, user.password), ...headers } })
    if (response.status !== 201) throw new Error(`open session: ${response.status} ${await response.text()}`)
    return (await response.json()) as OpenedSession
  },
  refresh: (token: string, path = "/sessions/refresh/") => fetch(`${server.url}${path}`, { method: "POST", headers: bearer(token) }),
  me: (token: string, domain?: string) => fetch(`${server.url}/api/me`, { headers: bearer(token, domain) }),
  revoke: (token: string, sessionId: string, domain?: string) =>
    fetch(`${server.url}/sessions/${sessionId}`, { method: "DELETE", headers: bearer(token, domain) })
})

describe("Machinable sessions: POST /sessions/, refresh, revoke", () => {
  let server: TestServer
  let seed: ReturnType<typeof seeding>
  let client: ReturnType<typeof sessionClient>
  const allEvents = () => Effect.runPromise(server.store.readAll(1, 100_000))
  const eventsOf = async (stream: string) => (await allEvents()).filter((e: RecordedEvent) => e.stream === stream)

  beforeAll(async () => {
    server = await startTestServer()
    seed = seeding(server)
    client = sessionClient(server)
    await seed.domain("acme")
    await seed.domain("beta")
    await seed.group("acme", "admins", [{ feature: "users", action: "read-write", scope: "domain" }])
    await seed.group("beta", "admins", [{ feature: "users", action: "read-write", scope: "domain" }])
  })
  afterAll(() => server.dispose())

  it.each(["/sessions/", "/sessions"])("%s opens a session for Basic credentials and records it", async (path) => {
    const correlationId = uuidv7()
    const response = await client.open(basic("admin", ADMIN_PASSWORD), { "App-CorrelationID": correlationId }, path)
    expect(response.status).toBe(201)
    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(response.headers.get("etag")).toBe('"1"')
    expect(Number(response.headers.get("app-event-position"))).toBeGreaterThan(0)
    const body = (await response.json()) as OpenedSession
    expect(Object.keys(body).sort()).toEqual(["access_token", "message", "refresh_token", "session_id"])
    expect(body.message).toBe("Successfully logged in")

    const access = decodeJwt(body.access_token)
    const refresh = decodeJwt(body.refresh_token)
    expect(access).toMatchObject({ use: "access", sid: body.session_id, username: "admin" })
    expect(refresh).toMatchObject({ use: "refresh", sid: body.session_id })
    expect(access.exp! - access.iat!).toBe(300)
    expect(refresh.exp! - refresh.iat!).toBe(259_200)

    const [opened] = await eventsOf(`${SESSION_CATEGORY}-${ADMIN_DOMAIN}-${body.session_id}`)
    expect(opened).toMatchObject({
      type: "SessionOpened",
      data: { sessionId: body.session_id, userId: access.sub, refreshExpiresAt: refresh.exp, address: "127.0.0.1" },
      meta: { correlationId, actor: { kind: "user", id: access.sub } }
    })
    const events = await allEvents()
    expect(events.some((e) => e.type === "LoginSucceeded" && e.meta.correlationId === correlationId)).toBe(true)
    expect(JSON.stringify(events)).not.toContain(ADMIN_PASSWORD)
  })

  it("accepts the access token on protected routes and refuses the refresh token there", async () => {
    const session = await client.openAs({ username: "admin", password: ADMIN_PASSWORD })
    const me = await client.me(session.access_token)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ kind: "user", username: "admin", domain: ADMIN_DOMAIN })
    const withRefresh = await client.me(session.refresh_token)
    expect(withRefresh.status).toBe(401)
    expect(await withRefresh.text()).toMatch(/refresh token cannot be used here/)
  })

  it.each(["/sessions/refresh/", "/sessions/refresh"])("%s exchanges the refresh token for a new access token", async (path) => {
    const session = await client.openAs({ username: "admin", password: ADMIN_PASSWORD })
    const response = await client.refresh(session.refresh_token, path)
    expect(response.status).toBe(200)
    expect(response.headers.get("cache-control")).toBe("no-store")
    const body = (await response.json()) as { access_token: string }
    expect(Object.keys(body)).toEqual(["access_token"])
    expect(body.access_token).not.toBe(session.access_token)
    expect(decodeJwt(body.access_token)).toMatchObject({ use: "access", sid: session.session_id })
    expect((await client.me(body.access_token)).status).toBe(200)
    const events = await eventsOf(`${SESSION_CATEGORY}-${ADMIN_DOMAIN}-${session.session_id}`)
    expect(events.map((e) => e.type)).toEqual(["SessionOpened", "SessionRefreshed"])
  })

  it("refuses anything but a refresh token at /sessions/refresh/", async () => {
    const session = await client.openAs({ username: "admin", password: ADMIN_PASSWORD })
    const withAccess = await client.refresh(session.access_token)
    expect(withAccess.status).toBe(401)
    expect(await withAccess.text()).toMatch(/Not a refresh token/)
    expect((await client.refresh(await loginAsAdmin(server.url))).status).toBe(401)
    expect((await client.refresh("not.a.jwt")).status).toBe(401)
    const none = await fetch(`${server.url}/sessions/refresh/`, { method: "POST" })
    expect(none.status).toBe(401)
    expect(await none.text()).toMatch(/Bearer <refresh_token>/)
    const key = await fetch(`${server.url}/sessions/refresh/`, { method: "POST", headers: { authorization: "apikey mchx_whatever" } })
    expect(key.status).toBe(401)
  })

  it("answers 401 Invalid Username or Password for a wrong password and records the failure", async () => {
    const correlationId = uuidv7()
    const response = await client.open(basic("admin", "wrong-password"), { "App-CorrelationID": correlationId })
    expect(response.status).toBe(401)
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /)
    expect(await response.text()).toBe("Invalid Username or Password")
    const failed = (await allEvents()).find((e) => e.meta.correlationId === correlationId)
    expect(failed).toMatchObject({ type: "LoginFailed", data: { username: "admin", reason: "bad_password", address: "127.0.0.1" } })
    expect((await client.open(basic("nobody-here", "x-password-1"))).status).toBe(401)
  })

  it("ends the access and refresh tokens of a revoked session on the very next request", async () => {
    const ada = await seed.user("ada", "acme")
    const session = await client.openAs(ada)
    expect((await client.me(session.access_token, "acme")).status).toBe(200)
    const revoked = await client.revoke(session.access_token, session.session_id, "acme")
    expect(revoked.status).toBe(200)
    expect(await revoked.json()).toEqual({ success: true, session_id: session.session_id, revoked: true })
    expect(revoked.headers.get("etag")).toBe('"2"')

    const me = await client.me(session.access_token, "acme")
    expect(me.status).toBe(401)
    expect(await me.text()).toMatch(/session has ended/)
    const refresh = await client.refresh(session.refresh_token)
    expect(refresh.status).toBe(401)
    const events = await eventsOf(`${SESSION_CATEGORY}-acme-${session.session_id}`)
    expect(events.at(-1)).toMatchObject({ type: "SessionRevoked", data: { sessionId: session.session_id, by: ada.userId } })
  })

  it("lets an administrator of the session's domain revoke it, and nobody else", async () => {
    const bob = await seed.user("bob", "acme")
    const carol = await seed.user("carol", "acme", ["admins"])
    const dave = await seed.user("dave", "acme")
    const erin = await seed.user("erin", "beta", ["admins"])
    const carolToken = (await client.openAs(carol)).access_token
    const daveToken = (await client.openAs(dave)).access_token
    const erinToken = (await client.openAs(erin)).access_token
    const adminToken = await loginAsAdmin(server.url)

    const first = await client.openAs(bob)
    // Same domain without users:read-write:domain: 403. Another domain's administrator: 404, as for no session.
    expect((await client.revoke(daveToken, first.session_id, "acme")).status).toBe(403)
    expect((await client.revoke(erinToken, first.session_id, "beta")).status).toBe(404)
    // The global superuser acts in acme only when acme is the active domain.
    expect((await client.revoke(adminToken, first.session_id)).status).toBe(404)
    expect((await client.me(first.access_token, "acme")).status).toBe(200)
    expect((await client.revoke(carolToken, first.session_id, "acme")).status).toBe(200)
    expect((await client.me(first.access_token, "acme")).status).toBe(401)

    const second = await client.openAs(bob)
    expect((await client.revoke(adminToken, second.session_id, "acme")).status).toBe(200)
    expect((await client.refresh(second.refresh_token)).status).toBe(401)

    expect((await client.revoke(adminToken, "not-a-session", "acme")).status).toBe(404)
    expect((await client.revoke(adminToken, uuidv7(), "acme")).status).toBe(404)
    expect((await fetch(`${server.url}/sessions/${second.session_id}`, { method: "DELETE" })).status).toBe(401)
  })

  it("puts the session in the Domain header's domain when one is sent, for members only", async () => {
    const gus = await seed.user("gus", "acme")
    const session = await client.openAs(gus, { domain: "domains:acme" })
    expect(await eventsOf(`${SESSION_CATEGORY}-acme-${session.session_id}`)).toHaveLength(1)
    const elsewhere = await client.open(basic(gus.username, gus.password), { domain: "domains:beta" })
    expect(elsewhere.status).toBe(403)
    expect(await elsewhere.text()).toBe("Not a member of domain beta")
    expect((await client.open(basic(gus.username, gus.password), { domain: "domains:NOT VALID" })).status).toBe(403)
  })

  it("stops a disabled user's session", async () => {
    const frank = await seed.user("frank", "acme")
    const session = await client.openAs(frank)
    expect((await client.me(session.access_token, "acme")).status).toBe(200)
    await seed.dispatch({ type: "disableUser", category: USER_CATEGORY, domain: "acme", aggregateId: frank.userId, payload: {} })
    const me = await client.me(session.access_token, "acme")
    expect(me.status).toBe(401)
    expect(await me.text()).toMatch(/disabled/)
    const refresh = await client.refresh(session.refresh_token)
    expect(refresh.status).toBe(401)
    expect(await refresh.text()).toMatch(/disabled/)
    expect((await client.open(basic(frank.username, frank.password))).status).toBe(401)
  })

  it("stops a session whose user changed password after it opened", async () => {
    const hana = await seed.user("hana", "acme")
    const session = await client.openAs(hana)
    const passwordHash = await Effect.runPromise(hasher.hash("a-brand-new-password"))
    await seed.dispatch({ type: "changePassword", category: USER_CATEGORY, domain: "acme", aggregateId: hana.userId, payload: { passwordHash } })
    const refresh = await client.refresh(session.refresh_token)
    expect(refresh.status).toBe(401)
    expect(await refresh.text()).toMatch(/password change/)
    expect((await client.me(session.access_token, "acme")).status).toBe(401)
    expect((await client.openAs({ username: "hana", password: "a-brand-new-password" })).session_id).toBeTruthy()
  })

  const encode = (raw: string | Buffer) => Buffer.from(raw).toString("base64")
  it.each([
    ["no Authorization header", undefined, 401, /Authorization: Basic/],
    ["another scheme", "Bearer abc.def.ghi", 401, /not accepted here/],
    ["a scheme without credentials", "Basic", 400, /carries no credentials/],
    ["base64 garbage", "Basic %%%not-base64%%%", 400, /not valid base64/],
    ["no colon", `Basic ${encode("adminpassword")}`, 400, /colon is missing/],
    ["an empty username", `Basic ${encode(":password")}`, 400, /empty username/],
    ["an empty password", `Basic ${encode("admin:")}`, 400, /empty password/],
    ["bytes that are not UTF-8", `Basic ${encode(Buffer.from([0xc3, 0x28, 0x3a, 0x41]))}`, 400, /UTF-8/],
    ["an overlong username", `Basic ${encode(`${"u".repeat(2_000)}:password`)}`, 400, /longer than 256/],
    ["an absurdly long header", `Basic ${"QUFB".repeat(3_000)}`, 400, /too long/]
  ])("refuses %s with a plain-text reason", async (_, authorization, status, reason) => {
    const response = await client.open(authorization)
    expect(response.status).toBe(status)
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await response.text()).toMatch(reason)
  })

  it("survives a header too large for the HTTP parser and keeps serving", async () => {
    const raw = await rawRequest(server.port, `POST /sessions/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${"A".repeat(200_000)}\r\n\r\n`)
    expect(statusOf(raw) ?? 431).toBeGreaterThanOrEqual(400)
    expect(statusOf(raw) ?? 431).toBeLessThan(500)
    const login = await postJson(`${server.url}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })
    expect(login.status).toBe(200)
  })
})

describe("session token lifetimes", () => {
  let server: TestServer
  let client: ReturnType<typeof sessionClient>
  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_ACCESS_TOKEN_SECONDS: "1", MACHHUB_REFRESH_TOKEN_SECONDS: "4" } })
    client = sessionClient(server)
  })
  afterAll(() => server.dispose())

  it("refuses an expired access token, refreshes it until the session expires, then refuses the refresh", async () => {
    const openedAt = Date.now()
    const session = await client.openAs({ username: "admin", password: ADMIN_PASSWORD })
    expect(decodeJwt(session.refresh_token).exp! - decodeJwt(session.refresh_token).iat!).toBe(4)
    await sleep(2_100)
    const expired = await client.me(session.access_token)
    expect(expired.status).toBe(401)
    expect(await expired.text()).toMatch(/expired/)

    const refreshed = await client.refresh(session.refresh_token)
    expect(refreshed.status).toBe(200)
    const { access_token } = (await refreshed.json()) as { access_token: string }
    expect((await client.me(access_token)).status).toBe(200)

    await sleep(Math.max(0, openedAt + 5_100 - Date.now()))
    const late = await client.refresh(session.refresh_token)
    expect(late.status).toBe(401)
    expect((await client.me(access_token)).status).toBe(401)
  })
})
