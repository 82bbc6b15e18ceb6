import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, loginAs, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const ALL = ["users", "groups", "api_keys", "collections", "machines", "reports", "audit"].flatMap((feature) => [
  { feature, action: "read-write", scope: "domain" }
])

/**
 * SPEC §1/§5: a caller reaches nothing of a domain it is not a member of. Five kinds of caller —
 * a user of A, a key of A, nobody, a disabled user of B, an expired key of B — against every
 * management route of domain B: each is refused (401, 403 or 404) and B is left unchanged.
 */
describe("tenancy: nobody outside domain B reaches B's management plane", () => {
  let server: TestServer
  let admin: Api
  const b = { userId: "", keyId: "", sessionId: "" }
  const callers: Record<string, (path: string, method: string, body?: unknown) => Promise<Response>> = {}

  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_KEY_RATE_LIMIT: "1000000" } })
    admin = await adminApi(server.url)
    const userA = await seedDomainUser(admin, { domain: "alpha", username: "amy", group: "admins", permissions: ALL })
    const keyA = await userA.api.json("POST", "/api/api-key/generate", { name: "a-key", features: ALL.map((p) => ({ name: p.feature, action: p.action, scope: p.scope })) })
    expect(keyA.status).toBe(200)
    const userB = await seedDomainUser(admin, { domain: "bravo", username: "ben", group: "admins", permissions: ALL })
    b.userId = userB.userId
    const keyB = await userB.api.json("POST", "/api/api-key/generate", { name: "b-key", features: [{ name: "users", action: "read", scope: "domain" }] })
    b.keyId = keyB.body.id
    const expiring = await userB.api.json("POST", "/api/api-key/generate", {
      name: "soon-expired",
      expiration: Math.floor(Date.now() / 1000) + 2,
      features: ALL.map((p) => ({ name: p.feature, action: p.action, scope: p.scope }))
    })
    expect(expiring.status).toBe(200)
    const disabled = await seedDomainUser(admin, { domain: "bravo", username: "dora", group: "admins", permissions: ALL })
    const session = await fetch(`${server.url}/sessions/`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`ben:${userB.password}`).toString("base64")}`, domain: "domains:bravo" }
    })
    b.sessionId = ((await session.json()) as { session_id: string }).session_id
    expect((await admin.inDomain("bravo").json("POST", `/api/users/${disabled.userId}/disable`)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 2_200)) // let the B key expire

    const as = (client: Api) => (path: string, method: string, body?: unknown) => client.inDomain("bravo").request(method, path, body)
    callers["user of A"] = as(userA.api)
    callers["key of A"] = as(api(server.url, keyA.body.token))
    callers["anonymous"] = (path, method, body) =>
      fetch(`${server.url}${path}`, { method, headers: { domain: "domains:bravo", "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    callers["disabled user of B"] = as(disabled.api)
    callers["expired key of B"] = as(api(server.url, expiring.body.token))
  }, 60_000)
  afterAll(() => server.dispose())

  const routes = (): Array<[string, string, unknown?]> => [
    ["GET", "/api/me"],
    ["GET", "/auth/permission/action/feature/users/scope/domain"],
    ["POST", "/api/users", { username: "intruder", password: "intruder-password" }],
    ["GET", "/api/users"],
    ["GET", `/api/users/${b.userId}`],
    ["PATCH", `/api/users/${b.userId}`, { groups: [] }],
    ["POST", `/api/users/${b.userId}/disable`],
    ["POST", `/api/users/${b.userId}/enable`],
    ["POST", `/api/users/${b.userId}/password`, { password: "taken-over-password" }],
    ["POST", "/api/groups", { name: "pwned", permissions: [] }],
    ["GET", "/api/groups"],
    ["POST", "/api/groups/admins/permissions", { feature: "audit", action: "read", scope: "all" }],
    ["DELETE", "/api/groups/admins/permissions", { feature: "users", action: "read-write", scope: "domain" }],
    ["POST", "/api/api-key/generate", { name: "x", features: [] }],
    ["GET", "/api/api-key/get-all"],
    ["GET", `/api/api-key/${b.keyId}`],
    ["PATCH", `/api/api-key/${b.keyId}`, { name: "renamed" }],
    ["POST", `/api/api-key/${b.keyId}/suspend`],
    ["POST", `/api/api-key/${b.keyId}/resume`],
    ["DELETE", `/api/api-key/${b.keyId}`],
    ["DELETE", "/api/api-key/delete", { id: b.keyId }],
    ["DELETE", `/sessions/${b.sessionId}`],
    ["POST", "/api/domains", { name: "hijack" }]
  ]

  it("refuses every caller on every route, and B's streams gain no event from them", async () => {
    const before = (await Effect.runPromise(server.store.headPosition))
    const outcomes: Array<string> = []
    for (const [who, call] of Object.entries(callers)) {
      for (const [method, path, body] of routes()) {
        const response = await call(path, method, body)
        if (![401, 403, 404].includes(response.status)) outcomes.push(`${who}: ${method} ${path} → ${response.status} ${await response.text()}`)
      }
    }
    expect(outcomes).toEqual([])
    const after = await Effect.runPromise(server.store.readAll(before + 1, 10_000))
    // Only refused-login or attempt records may appear; nothing that changes B.
    expect(after.filter((e) => e.meta.domain === "bravo").map((e) => e.type)).toEqual([])
  })

  it("still serves B's own members afterwards (the matrix changed nothing)", async () => {
    const ben = api(server.url, await loginAs(server.url, "ben", "ben-password-123"), "bravo")
    const me = await ben.json("GET", "/api/me")
    expect(me.status).toBe(200)
    expect((await ben.json("GET", "/api/users")).body.map((u: { username: string }) => u.username).sort()).toEqual(["ben", "dora"])
    expect((await ben.json("GET", "/api/groups")).body.map((g: { name: string }) => g.name)).toEqual(["admins"])
  })
})
