import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, loginAs, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

describe("identity and access: domains, users, groups, permissions", () => {
  let server: TestServer
  let admin: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
  })
  afterAll(() => server.dispose())

  it("lets a superuser create domains, refuses duplicates, lists them", async () => {
    const created = await admin.json("POST", "/api/domains", { name: "acme" })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ success: true, name: "acme" })
    expect(created.headers.get("etag")).toBe('"1"')
    expect(Number(created.headers.get("app-event-position"))).toBeGreaterThan(0)
    expect((await admin.json("POST", "/api/domains", { name: "acme" })).status).toBe(409)
    expect((await admin.json("POST", "/api/domains", { name: "Not A Name!" })).status).toBe(422)
    const list = await admin.json("GET", "/api/domains")
    expect(list.body.map((d: { name: string }) => d.name)).toEqual(["acme", "machhub_admin"])
  })

  it("creates groups and users; the user's permissions come from the groups of the active domain", async () => {
    const acme = admin.inDomain("acme")
    const group = await acme.json("POST", "/api/groups", {
      name: "operators",
      permissions: [{ feature: "collections", action: "read-write", scope: "domain" }, { feature: "users", action: "read", scope: "domain" }]
    })
    expect(group.status).toBe(201)
    const user = await acme.json("POST", "/api/users", { username: "alice", password: "alice-password-1", groups: ["operators"] })
    expect(user.status).toBe(201)
    expect(user.body.user).toMatchObject({ username: "alice", domain: "acme", groups: ["operators"], disabled: false })
    expect(JSON.stringify(user.body)).not.toContain("scrypt")

    const alice = api(server.url, await loginAs(server.url, "alice", "alice-password-1"), "acme")
    const me = await alice.json("GET", "/api/me")
    expect(me.body).toMatchObject({ kind: "user", username: "alice", domain: "acme", groups: ["operators"], superuser: false })
    expect(me.body.permissions).toEqual([
      { feature: "collections", action: "read-write", scope: "domain" },
      { feature: "users", action: "read", scope: "domain" }
    ])
    const can = async (feature: string, scope: string) => (await alice.json("GET", `/auth/permission/action/feature/${feature}/scope/${scope}`)).body.actions
    expect(await can("collections", "self")).toEqual(["read", "read-write"])
    expect(await can("collections", "all")).toEqual([])
    expect(await can("users", "domain")).toEqual(["read"])
    expect(await can("api_keys", "self")).toEqual([])
    // Not a member of machhub_admin: 403 there.
    expect((await alice.inDomain("machhub_admin").json("GET", "/api/me")).status).toBe(403)
    expect((await alice.inDomain(undefined).json("GET", "/api/me")).status).toBe(403)
  })

  it("refuses duplicate usernames in any case (409), weak passwords (422 naming the rule), unknown groups — and creates nothing", async () => {
    const acme = admin.inDomain("acme")
    expect((await acme.json("POST", "/api/users", { username: "ALICE", password: "another-password-1" })).status).toBe(409)
    const weak = await acme.json("POST", "/api/users", { username: "bob", password: "short" })
    expect(weak.status).toBe(422)
    expect(weak.body).toMatch(/10 to 1024 characters/)
    const sameAsName = await acme.json("POST", "/api/users", { username: "bobbobbobbob", password: "BobBobBobBob" })
    expect(sameAsName.status).toBe(422)
    const unknownGroup = await acme.json("POST", "/api/users", { username: "bob", password: "bob-password-12", groups: ["ghosts"] })
    expect(unknownGroup.status).toBe(422)
    expect(unknownGroup.body).toMatch(/no group ghosts/)
    expect((await acme.json("POST", "/api/users", { username: "bob", password: 42 })).status).toBe(400)
    expect((await acme.json("POST", "/api/users", { username: "b o b", password: "bob-password-12" })).status).toBe(422)
    // None of the refusals claimed the name or created anything: bob can still be created.
    expect((await acme.json("POST", "/api/users", { username: "bob", password: "bob-password-12" })).status).toBe(201)
    const events = await Effect.runPromise(server.store.readAll(1, 100_000))
    expect(events.filter((e) => e.type === "UsernameClaimed" && (e.data as { username: string }).username.toLowerCase() === "bob")).toHaveLength(1)
  })

  it("applies permission, membership and status changes on the very next request", async () => {
    const acme = admin.inDomain("acme")
    const alice = api(server.url, await loginAs(server.url, "alice", "alice-password-1"), "acme")
    expect((await alice.json("POST", "/api/users", { username: "carol", password: "carol-password-1" })).status).toBe(403)
    expect((await acme.json("POST", "/api/groups/operators/permissions", { feature: "users", action: "read-write", scope: "domain" })).status).toBe(200)
    expect((await alice.json("POST", "/api/users", { username: "carol", password: "carol-password-1" })).status).toBe(201)
    expect((await acme.request("DELETE", "/api/groups/operators/permissions", { feature: "users", action: "read-write", scope: "domain" })).status).toBe(200)
    expect((await alice.json("POST", "/api/users", { username: "dave", password: "dave-password-12" })).status).toBe(403)

    const aliceId = (await alice.json("GET", "/api/me")).body.id as string
    expect((await acme.json("PATCH", `/api/users/${aliceId}`, { groups: [] })).status).toBe(200)
    expect((await alice.json("GET", "/api/me")).body.permissions).toEqual([])
    expect((await acme.json("PATCH", `/api/users/${aliceId}`, { groups: ["operators"] })).status).toBe(200)

    expect((await acme.json("POST", `/api/users/${aliceId}/disable`)).status).toBe(200)
    expect((await alice.json("GET", "/api/me")).status).toBe(401)
    expect((await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "alice", password: "alice-password-1" }) })).status).toBe(401)
    expect((await acme.json("POST", `/api/users/${aliceId}/enable`)).status).toBe(200)
    expect((await alice.json("GET", "/api/me")).status).toBe(200)
  })

  it("lets a user change their own password, which ends tokens issued before", async () => {
    const token = await loginAs(server.url, "alice", "alice-password-1")
    const alice = api(server.url, token, "acme")
    const id = (await alice.json("GET", "/api/me")).body.id as string
    expect((await alice.json("POST", `/api/users/${id}/password`, { password: "tiny" })).status).toBe(422)
    expect((await alice.json("POST", `/api/users/${id}/password`, { password: "alice-new-password" })).status).toBe(200)
    expect((await alice.json("GET", "/api/me")).status).toBe(401)
    const fresh = api(server.url, await loginAs(server.url, "alice", "alice-new-password"), "acme")
    expect((await fresh.json("GET", "/api/me")).status).toBe(200)
    // Another user's password needs users:read-write:domain.
    const bob = (await admin.inDomain("acme").json("GET", "/api/users")).body.find((u: { username: string }) => u.username === "bob")
    expect((await fresh.json("POST", `/api/users/${bob.id}/password`, { password: "hijacked-password" })).status).toBe(403)
  })

  it("lists and reads users of the active domain only; another domain's user is not found", async () => {
    const other = await seedDomainUser(admin, {
      domain: "globex",
      username: "gina",
      group: "admins",
      permissions: [{ feature: "users", action: "read-write", scope: "domain" }, { feature: "groups", action: "read-write", scope: "domain" }]
    })
    const globexUsers = await other.api.json("GET", "/api/users")
    expect(globexUsers.body.map((u: { username: string }) => u.username)).toEqual(["gina"])
    const acmeUsers = await admin.inDomain("acme").json("GET", "/api/users")
    const aliceId = acmeUsers.body.find((u: { username: string }) => u.username === "alice").id
    for (const [method, path, body] of [
      ["GET", `/api/users/${aliceId}`, undefined],
      ["PATCH", `/api/users/${aliceId}`, { groups: [] }],
      ["POST", `/api/users/${aliceId}/disable`, undefined],
      ["POST", `/api/users/${aliceId}/password`, { password: "stolen-password-1" }]
    ] as const) {
      expect((await other.api.json(method, path, body)).status, `${method} ${path}`).toBe(404)
    }
    // Globex's admin cannot reach into acme at all.
    expect((await other.api.inDomain("acme").json("GET", "/api/users")).status).toBe(403)
    // Nor hand out more than it holds, nor the superuser group.
    expect((await other.api.json("POST", "/api/groups", { name: "root", permissions: [{ feature: "audit", action: "read", scope: "all" }] })).status).toBe(403)
    expect((await other.api.json("POST", "/api/users", { username: "eve", password: "eve-password-123", groups: ["superuser"] })).status).toBe(403)
    expect((await other.api.json("POST", "/api/groups", { name: "superuser", permissions: [] })).status).toBe(403)
    expect((await other.api.json("POST", "/api/domains", { name: "mine" })).status).toBe(403)
    expect((await other.api.json("GET", "/api/domains")).body.map((d: { name: string }) => d.name)).toEqual(["globex"])
  })

  it("maps Machinable role/access onto data-plane permissions", async () => {
    const acme = admin.inDomain("acme")
    expect((await acme.json("POST", "/api/users", { username: "machina", password: "machina-password", role: "user", access: ["read"] })).status).toBe(201)
    const machina = api(server.url, await loginAs(server.url, "machina", "machina-password"), "acme")
    const me = (await machina.json("GET", "/api/me")).body
    expect(me.permissions).toContainEqual({ feature: "collections", action: "read", scope: "self" })
    expect((await machina.json("GET", "/auth/permission/action/feature/collections/scope/domain")).body.actions).toEqual([])
    expect((await acme.json("POST", "/api/users", { username: "root2", password: "root2-password", role: "root" })).status).toBe(400)
  })
})

describe("no secret at rest", () => {
  it("leaves no password in the event log or anywhere in the data dir", async () => {
    const { readdirSync, readFileSync, statSync } = await import("node:fs")
    const { join } = await import("node:path")
    const server = await startTestServer()
    try {
      const admin = await adminApi(server.url)
      const passwords = ["zed-password-123", "zed-password-456"]
      await seedDomainUser(admin, { domain: "vault", username: "zed", password: passwords[0]! })
      const zed = api(server.url, await loginAs(server.url, "zed", passwords[0]!), "vault")
      const id = (await zed.json("GET", "/api/me")).body.id
      expect((await zed.json("POST", `/api/users/${id}/password`, { password: passwords[1] })).status).toBe(200)
      await loginAs(server.url, "zed", passwords[1]!)
      await fetch(`${server.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "zed", password: "wrong-guess-password" }) })
      const files = (dir: string): Array<string> =>
        readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]))
      const everything = files(server.dataDir).map((file) => readFileSync(file).toString("latin1")).join("\n")
      for (const secret of [...passwords, "wrong-guess-password", "correct horse battery staple"]) {
        expect(everything.includes(secret), secret).toBe(false)
      }
      const events = JSON.stringify(await Effect.runPromise(server.store.readAll(1, 100_000)))
      expect(events).not.toMatch(/zed-password|wrong-guess/)
    } finally {
      await server.dispose()
    }
  })
})
