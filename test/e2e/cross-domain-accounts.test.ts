import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { adminApi, api, loginAs, type Api } from "../support/api.js"
import { postJson, startTestServer, type TestServer } from "../support/server.js"

const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })
/** What an administrator of a domain holds there (no superuser). */
const ADMIN_GRANTS = [perm("users", "read-write", "domain"), perm("api_keys", "read-write", "domain"), perm("collections", "read-write", "domain")]
const MEMBER_GRANTS = [perm("api_keys", "read-write", "self"), perm("collections", "read", "domain")]
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`

/** A user who belongs to both alpha and bravo, with a login token, a session opened in alpha and a key in each. */
interface Member {
  readonly id: string
  readonly username: string
  readonly password: string
  readonly home: "alpha" | "bravo"
  readonly token: string
  readonly session: { readonly id: string; readonly accessToken: string }
  readonly keys: { readonly alpha: { id: string; token: string }; readonly bravo: { id: string; token: string } }
}

/**
 * Actions on another user's account, against a user who is a member of two domains (alpha and bravo).
 * An action that reaches the whole account (password, disable, enable, ending a session, whose tokens
 * act in every domain of the user) needs users:read-write:domain in both domains; an action on one
 * membership needs it in that domain only; a key acts in its own domain only, so managing it is that
 * domain's business.
 */
describe("account actions on a member of two domains", () => {
  let server: TestServer
  let admin: Api
  let amy: Api // administrator of alpha only
  let duo: Api // administrator of alpha and of bravo
  let sequence = 0

  const loginStatus = async (username: string, password: string) => (await postJson(`${server.url}/auth/login`, { username, password })).status
  const view = async (id: string, domain: string) => {
    const read = await admin.inDomain(domain).json("GET", `/api/users/${id}`)
    expect(read.status).toBe(200)
    return read.body as { disabled: boolean; groups: Array<string>; domains: Array<string>; version: number }
  }
  const keyStatus = async (domain: string, keyId: string) => (await admin.inDomain(domain).json("GET", `/api/api-key/${keyId}`)).body.status as string

  /** Creates a fresh member of alpha and bravo (home `home`), as the platform administrator would. */
  const member = async (home: "alpha" | "bravo", groups: { alpha?: Array<string>; bravo?: Array<string> } = {}): Promise<Member> => {
    const other = home === "alpha" ? "bravo" : "alpha"
    const username = `member${++sequence}`
    const password = `${username}-password-123`
    const created = await admin.inDomain(home).json("POST", "/api/users", { username, password, groups: groups[home] ?? ["members"] })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    expect((await admin.inDomain(other).json("PATCH", `/api/users/${id}`, { groups: groups[other] ?? ["members"] })).status).toBe(200)
    const token = await loginAs(server.url, username, password)
    const self = api(server.url, token)
    const issue = async (domain: string) => {
      const key = await self.inDomain(domain).json("POST", "/api/api-key/generate", { name: `${username}-key`, features: [{ name: "collections", action: "read", scope: "domain" }] })
      expect(key.status).toBe(200)
      return { id: key.body.id as string, token: key.body.token as string }
    }
    const opened = await fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: basic(username, password), domain: "domains:alpha" } })
    expect(opened.status).toBe(201)
    const session = (await opened.json()) as { session_id: string; access_token: string }
    return {
      id,
      username,
      password,
      home,
      token,
      session: { id: session.session_id, accessToken: session.access_token },
      keys: { alpha: await issue("alpha"), bravo: await issue("bravo") }
    }
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_KEY_RATE_LIMIT: "1000000" } })
    admin = await adminApi(server.url)
    for (const domain of ["alpha", "bravo"]) {
      expect((await admin.json("POST", "/api/domains", { name: domain })).status).toBe(201)
      const inDomain = admin.inDomain(domain)
      expect((await inDomain.json("POST", "/api/groups", { name: "admins", permissions: ADMIN_GRANTS })).status).toBe(201)
      expect((await inDomain.json("POST", "/api/groups", { name: "members", permissions: MEMBER_GRANTS })).status).toBe(201)
      expect((await inDomain.json("POST", "/api/groups", { name: "editors", permissions: [perm("collections", "read-write", "domain")] })).status).toBe(201)
    }
    expect((await admin.inDomain("alpha").json("POST", "/api/users", { username: "amy", password: "amy-password-123", groups: ["admins"] })).status).toBe(201)
    amy = api(server.url, await loginAs(server.url, "amy", "amy-password-123"))
    const duoId = (await admin.inDomain("alpha").json("POST", "/api/users", { username: "duo", password: "duo-password-123", groups: ["admins"] })).body.id
    expect((await admin.inDomain("bravo").json("PATCH", `/api/users/${duoId}`, { groups: ["admins"] })).status).toBe(200)
    duo = api(server.url, await loginAs(server.url, "duo", "duo-password-123"))
  }, 60_000)
  afterAll(() => server.dispose())

  interface Case {
    /** The member's home domain (a membership removal never targets it here). */
    readonly home: "alpha" | "bravo"
    readonly prepare?: (target: Member) => Promise<void>
    /** The call, made by `caller`; `caller` has no active domain yet. */
    readonly call: (caller: Api, target: Member) => Promise<{ status: number; body: unknown }>
    /** Did the action take effect? */
    readonly changed: (target: Member) => Promise<boolean>
  }

  const NEW_PASSWORD = "taken-over-password-1"
  const actions: Record<string, Case> = {
    "change password": {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("POST", `/api/users/${t.id}/password`, { password: NEW_PASSWORD }),
      changed: async (t) => (await loginStatus(t.username, NEW_PASSWORD)) === 200
    },
    disable: {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("POST", `/api/users/${t.id}/disable`),
      changed: async (t) => (await view(t.id, "bravo")).disabled
    },
    enable: {
      home: "bravo",
      prepare: async (t) => expect((await admin.inDomain("bravo").json("POST", `/api/users/${t.id}/disable`)).status).toBe(200),
      call: (caller, t) => caller.inDomain("alpha").json("POST", `/api/users/${t.id}/enable`),
      changed: async (t) => !(await view(t.id, "bravo")).disabled
    },
    "end a session": {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("DELETE", `/sessions/${t.session.id}`),
      changed: async (t) => (await api(server.url, t.session.accessToken, "bravo").json("GET", "/api/me")).status === 401
    },
    "suspend their key of alpha": {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("POST", `/api/api-key/${t.keys.alpha.id}/suspend`, { reason: "abuse" }),
      changed: async (t) => (await keyStatus("alpha", t.keys.alpha.id)) === "suspended"
    },
    "revoke their key of alpha": {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("DELETE", `/api/api-key/${t.keys.alpha.id}`),
      changed: async (t) => (await keyStatus("alpha", t.keys.alpha.id)) === "revoked"
    },
    "suspend their key of bravo": {
      home: "alpha",
      call: (caller, t) => caller.inDomain("bravo").json("POST", `/api/api-key/${t.keys.bravo.id}/suspend`, { reason: "abuse" }),
      changed: async (t) => (await keyStatus("bravo", t.keys.bravo.id)) === "suspended"
    },
    "change their groups in alpha": {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("PATCH", `/api/users/${t.id}`, { groups: ["members", "editors"] }),
      changed: async (t) => (await view(t.id, "alpha")).groups.includes("editors")
    },
    "remove them from alpha": {
      home: "bravo",
      call: (caller, t) => caller.inDomain("alpha").json("DELETE", `/api/users/${t.id}/domains/alpha`),
      changed: async (t) => !(await view(t.id, "bravo")).domains.includes("alpha")
    },
    "remove them from bravo": {
      home: "alpha",
      call: (caller, t) => caller.inDomain("alpha").json("DELETE", `/api/users/${t.id}/domains/bravo`),
      changed: async (t) => !(await view(t.id, "alpha")).domains.includes("bravo")
    }
  }

  const allowed = { status: 200, changed: true }
  const refusedFor = (permission: string, domain: string) => ({
    status: 403,
    changed: false,
    message: expect.stringMatching(new RegExp(`^Missing permission ${permission} in domain ${domain}\\b`))
  })
  const beyondAlpha = refusedFor("users:read-write:domain", "bravo")

  const expectations: Record<string, Record<string, object>> = {
    "administrator of alpha only": {
      "change password": beyondAlpha,
      disable: beyondAlpha,
      enable: beyondAlpha,
      "end a session": beyondAlpha,
      "suspend their key of alpha": allowed,
      "revoke their key of alpha": allowed,
      "suspend their key of bravo": { status: 403, changed: false, message: "Not a member of domain bravo" },
      "change their groups in alpha": allowed,
      "remove them from alpha": allowed,
      "remove them from bravo": beyondAlpha
    },
    "administrator of alpha and bravo": Object.fromEntries(Object.keys(actions).map((name) => [name, allowed])),
    "superuser of machhub_admin": Object.fromEntries(Object.keys(actions).map((name) => [name, allowed]))
  }

  it("decides every account action by the domains it reaches", async () => {
    const callers: Record<string, Api> = {
      "administrator of alpha only": amy,
      "administrator of alpha and bravo": duo,
      "superuser of machhub_admin": admin
    }
    const outcomes: Record<string, Record<string, object>> = {}
    for (const [who, caller] of Object.entries(callers)) {
      outcomes[who] = {}
      for (const [name, action] of Object.entries(actions)) {
        const target = await member(action.home)
        await action.prepare?.(target)
        const before = await view(target.id, target.home)
        const response = await action.call(caller, target)
        const changed = await action.changed(target)
        outcomes[who]![name] = response.status === 200 ? { status: 200, changed } : { status: response.status, changed, message: response.body }
        // A refused action appends nothing to the user's stream.
        if (response.status !== 200) expect((await view(target.id, target.home)).version, `${who}: ${name}`).toBe(before.version)
      }
    }
    expect(outcomes).toEqual(expectations)
  }, 120_000)

  it("lets the user change their own password and end their own session, whatever domains they belong to", async () => {
    const target = await member("bravo")
    const self = api(server.url, target.token, "alpha")
    expect((await self.json("POST", `/api/users/${target.id}/password`, { password: "my-own-new-password" })).status).toBe(200)
    expect(await loginStatus(target.username, "my-own-new-password")).toBe(200)
    const again = await member("alpha")
    const fresh = api(server.url, again.token, "bravo")
    expect((await fresh.json("DELETE", `/sessions/${again.session.id}`)).status).toBe(200)
    expect((await api(server.url, again.session.accessToken, "alpha").json("GET", "/api/me")).status).toBe(401)
  })

  it("asks for a superuser of a domain to change the account of that domain's superuser", async () => {
    const boss = await member("bravo", { bravo: ["superuser"] })
    // duo administers users in both domains but is no superuser of bravo.
    const refused = await duo.inDomain("alpha").json("POST", `/api/users/${boss.id}/password`, { password: NEW_PASSWORD })
    expect(refused.status).toBe(403)
    expect(refused.body).toBe(`Only a superuser of domain bravo may change the account of ${boss.username}, a superuser there`)
    expect((await duo.inDomain("alpha").json("POST", `/api/users/${boss.id}/disable`)).status).toBe(403)
    // Their membership in alpha is alpha's business.
    expect((await duo.inDomain("alpha").json("PATCH", `/api/users/${boss.id}`, { groups: [] })).status).toBe(200)
    expect((await admin.inDomain("alpha").json("POST", `/api/users/${boss.id}/password`, { password: NEW_PASSWORD })).status).toBe(200)
  })

  it("honours scope all only where the platform grants it (machhub_admin), never inside a tenant", async () => {
    // A tenant's superuser can put any grant into its own domain's groups: scope all there proves nothing.
    expect((await admin.inDomain("alpha").json("POST", "/api/groups", { name: "everything", permissions: [perm("users", "read-write", "all")] })).status).toBe(201)
    const amyId = (await amy.inDomain("alpha").json("GET", "/api/me")).body.id
    expect((await admin.inDomain("alpha").json("PATCH", `/api/users/${amyId}`, { groups: ["admins", "everything"] })).status).toBe(200)
    const target = await member("bravo")
    const refused = await amy.inDomain("alpha").json("POST", `/api/users/${target.id}/disable`)
    expect(refused.status).toBe(403)
    expect(refused.body).toMatch(/^Missing permission users:read-write:domain in domain bravo/)
    expect((await admin.inDomain("alpha").json("PATCH", `/api/users/${amyId}`, { groups: ["admins"] })).status).toBe(200)

    // An administrator of alpha who is also a platform users administrator reaches every domain.
    expect((await admin.json("POST", "/api/groups", { name: "platform-users", permissions: [perm("users", "read-write", "all")] })).status).toBe(201)
    const ops = await admin.inDomain("alpha").json("POST", "/api/users", { username: "ops", password: "ops-password-123", groups: ["admins"] })
    expect((await admin.json("PATCH", `/api/users/${ops.body.id}`, { groups: ["platform-users"] })).status).toBe(200)
    const opsApi = api(server.url, await loginAs(server.url, "ops", "ops-password-123"), "alpha")
    expect((await opsApi.json("POST", `/api/users/${target.id}/disable`)).status).toBe(200)
    expect((await view(target.id, "bravo")).disabled).toBe(true)
  })

  it("refuses an API key of alpha for an action reaching bravo, saying why", async () => {
    const amyKey = await amy.inDomain("alpha").json("POST", "/api/api-key/generate", {
      name: "amy-admin-key",
      features: [{ name: "users", action: "read-write", scope: "domain" }]
    })
    expect(amyKey.status).toBe(200)
    const key = api(server.url, amyKey.body.token, "alpha")
    const target = await member("bravo")
    const refused = await key.json("POST", `/api/users/${target.id}/disable`)
    expect(refused.status).toBe(403)
    expect(refused.body).toMatch(/^Missing permission users:read-write:domain in domain bravo.*an API key acts only in its own domain/)
    // A member of alpha alone is within the key's reach.
    const local = await admin.inDomain("alpha").json("POST", "/api/users", { username: "local1", password: "local1-password-123", groups: ["members"] })
    expect((await key.json("POST", `/api/users/${local.body.id}/disable`)).status).toBe(200)
  })
})

describe("taking over another domain's superuser through a shared membership fails", () => {
  let server: TestServer
  afterAll(() => server.dispose())

  it("refuses alpha's administrator every account action on bravo's superuser, and bravo keeps its superuser", async () => {
    server = await startTestServer()
    const platform = await adminApi(server.url)
    for (const domain of ["alpha", "bravo"]) expect((await platform.json("POST", "/api/domains", { name: domain })).status).toBe(201)
    expect((await platform.inDomain("alpha").json("POST", "/api/groups", { name: "admins", permissions: [perm("users", "read-write", "domain")] })).status).toBe(201)
    expect((await platform.inDomain("alpha").json("POST", "/api/groups", { name: "readers", permissions: [perm("users", "read", "self")] })).status).toBe(201)
    const root = await platform.inDomain("bravo").json("POST", "/api/users", { username: "bravo-root", password: "bravo-root-password", groups: ["superuser"] })
    expect(root.status).toBe(201)
    expect((await platform.inDomain("alpha").json("POST", "/api/users", { username: "mallory", password: "mallory-password-1", groups: ["admins"] })).status).toBe(201)
    // The platform administrator adds bravo's superuser to alpha, read-only.
    expect((await platform.inDomain("alpha").json("PATCH", `/api/users/${root.body.id}`, { groups: ["readers"] })).status).toBe(200)

    const mallory = api(server.url, await loginAs(server.url, "mallory", "mallory-password-1"), "alpha")
    const rootToken = await loginAs(server.url, "bravo-root", "bravo-root-password")
    const session = await fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: basic("bravo-root", "bravo-root-password"), domain: "domains:alpha" } })
    const sessionId = ((await session.json()) as { session_id: string }).session_id
    const before = await Effect.runPromise(server.store.headPosition)

    const password = await mallory.json("POST", `/api/users/${root.body.id}/password`, { password: "mallory-owns-you-1" })
    expect(password.status).toBe(403)
    expect(password.body).toBe(
      "Missing permission users:read-write:domain in domain bravo: bravo-root is also a member of domain bravo, and this action reaches every domain the account belongs to"
    )
    for (const [method, path] of [["POST", `/api/users/${root.body.id}/disable`], ["POST", `/api/users/${root.body.id}/enable`], ["DELETE", `/sessions/${sessionId}`]] as const) {
      const refused = await mallory.json(method, path)
      expect(refused.status, `${method} ${path}`).toBe(403)
      expect(refused.body, `${method} ${path}`).toMatch(/^Missing permission users:read-write:domain in domain bravo/)
    }
    // Nor can mallory reach bravo directly, nor remove the superuser from bravo.
    expect((await mallory.inDomain("bravo").json("POST", `/api/users/${root.body.id}/password`, { password: "mallory-owns-you-1" })).status).toBe(403)
    expect((await mallory.json("DELETE", `/api/users/${root.body.id}/domains/bravo`)).status).toBe(403)

    // Nothing about bravo-root changed: no event on their stream, the attacker's password does not log in.
    const appended = await Effect.runPromise(server.store.readAll(before + 1, 10_000))
    expect(appended.filter((e: RecordedEvent) => e.stream.endsWith(root.body.id) || e.stream.endsWith(sessionId)).map((e) => e.type)).toEqual([])
    expect((await postJson(`${server.url}/auth/login`, { username: "bravo-root", password: "mallory-owns-you-1" })).status).toBe(401)
    const rootInBravo = api(server.url, rootToken, "bravo")
    expect((await rootInBravo.json("GET", "/api/me")).body).toMatchObject({ username: "bravo-root", domain: "bravo", superuser: true })

    // What alpha may do: take its own membership back.
    const removed = await mallory.json("DELETE", `/api/users/${root.body.id}/domains/alpha`)
    expect(removed.status).toBe(200)
    expect((await api(server.url, rootToken, "alpha").json("GET", "/api/me")).status).toBe(403)
    expect((await rootInBravo.json("GET", "/api/me")).status).toBe(200)
  }, 60_000)
})

describe("DELETE /api/users/<id>/domains/<domain>", () => {
  let server: TestServer
  let admin: Api
  let amy: Api
  let bea: Api
  const events = () => Effect.runPromise(server.store.readAll(1, 100_000))

  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_KEY_RATE_LIMIT: "1000000" } })
    admin = await adminApi(server.url)
    for (const domain of ["alpha", "bravo"]) {
      expect((await admin.json("POST", "/api/domains", { name: domain })).status).toBe(201)
      expect((await admin.inDomain(domain).json("POST", "/api/groups", { name: "admins", permissions: ADMIN_GRANTS })).status).toBe(201)
      expect((await admin.inDomain(domain).json("POST", "/api/groups", { name: "members", permissions: MEMBER_GRANTS })).status).toBe(201)
    }
    expect((await admin.inDomain("alpha").json("POST", "/api/users", { username: "amy", password: "amy-password-123", groups: ["admins"] })).status).toBe(201)
    expect((await admin.inDomain("bravo").json("POST", "/api/users", { username: "bea", password: "bea-password-123", groups: ["admins"] })).status).toBe(201)
    amy = api(server.url, await loginAs(server.url, "amy", "amy-password-123"), "alpha")
    bea = api(server.url, await loginAs(server.url, "bea", "bea-password-123"), "bravo")
  }, 60_000)
  afterAll(() => server.dispose())

  it("ends the membership: the user's tokens stop working in that domain on the next request and keep working elsewhere", async () => {
    const created = await admin.inDomain("bravo").json("POST", "/api/users", { username: "sam", password: "sam-password-123", groups: ["members"] })
    const id = created.body.id as string
    expect((await admin.inDomain("alpha").json("PATCH", `/api/users/${id}`, { groups: ["members"] })).status).toBe(200)
    const token = await loginAs(server.url, "sam", "sam-password-123")
    const key = await api(server.url, token, "alpha").json("POST", "/api/api-key/generate", { name: "sam-key", features: [{ name: "collections", action: "read", scope: "domain" }] })
    const bravoKey = await api(server.url, token, "bravo").json("POST", "/api/api-key/generate", { name: "sam-key", features: [{ name: "collections", action: "read", scope: "domain" }] })
    const opened = await fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: basic("sam", "sam-password-123"), domain: "domains:alpha" } })
    const session = (await opened.json()) as { session_id: string; access_token: string }
    for (const domain of ["alpha", "bravo"]) expect((await api(server.url, token, domain).json("GET", "/api/me")).status).toBe(200)
    // Warm every credential in alpha, so a cached grant would show.
    expect((await api(server.url, key.body.token, "alpha").json("GET", "/api/me")).status).toBe(200)
    expect((await api(server.url, session.access_token, "alpha").json("GET", "/api/me")).status).toBe(200)

    const removed = await amy.json("DELETE", `/api/users/${id}/domains/alpha`)
    expect(removed.status).toBe(200)
    expect(removed.body).toEqual({ success: true, id, domain: "alpha", removed: true, revokedKeys: [key.body.id] })
    expect(Number(removed.headers.get("app-event-position"))).toBeGreaterThan(0)

    // In alpha: the login token and the session's token are refused, the key is revoked.
    const inAlpha = await api(server.url, token, "alpha").json("GET", "/api/me")
    expect(inAlpha.status).toBe(403)
    expect(inAlpha.body).toBe("Not a member of domain alpha")
    expect((await api(server.url, session.access_token, "alpha").json("GET", "/api/me")).status).toBe(403)
    const keyAfter = await api(server.url, key.body.token, "alpha").json("GET", "/api/me")
    expect(keyAfter.status).toBe(401)
    expect(keyAfter.body).toBe("The API key has been revoked")
    const reopen = await fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: basic("sam", "sam-password-123"), domain: "domains:alpha" } })
    expect(reopen.status).toBe(403)
    // In bravo: all still works, including the session opened in alpha (its tokens serve every domain of the user).
    expect((await api(server.url, token, "bravo").json("GET", "/api/me")).status).toBe(200)
    expect((await api(server.url, session.access_token, "bravo").json("GET", "/api/me")).status).toBe(200)
    expect((await api(server.url, bravoKey.body.token).json("GET", "/api/me")).status).toBe(200)
    // A new login lists bravo only; alpha no longer shows the user.
    const claims = JSON.parse(Buffer.from((await loginAs(server.url, "sam", "sam-password-123")).split(".")[1]!, "base64url").toString())
    expect(claims.domains).toEqual(["bravo"])
    expect((await amy.json("GET", "/api/users")).body.map((u: { username: string }) => u.username)).not.toContain("sam")
    expect((await amy.json("GET", `/api/users/${id}`)).status).toBe(404)

    // The log holds the removal (on the user's stream in the home domain) and the revocation.
    const log = await events()
    expect(log.find((e: RecordedEvent) => e.type === "MembershipRemoved" && (e.data as { userId: string }).userId === id)).toMatchObject({
      stream: `user-bravo-${id}`,
      data: { userId: id, domain: "alpha" },
      meta: { domain: "bravo", actor: { kind: "user" } }
    })
    expect(log.filter((e: RecordedEvent) => e.type === "KeyRevoked" && e.stream.endsWith(key.body.id))).toHaveLength(1)

    // Giving the membership back does not revive the old key.
    expect((await admin.inDomain("alpha").json("PATCH", `/api/users/${id}`, { groups: ["members"] })).status).toBe(200)
    expect((await api(server.url, token, "alpha").json("GET", "/api/me")).status).toBe(200)
    expect((await api(server.url, key.body.token, "alpha").json("GET", "/api/me")).status).toBe(401)
  })

  it("refuses to remove the home domain (409) or the membership of a domain the user is not in (404)", async () => {
    const created = await admin.inDomain("bravo").json("POST", "/api/users", { username: "hal", password: "hal-password-123", groups: ["members"] })
    const id = created.body.id as string
    expect((await admin.inDomain("alpha").json("PATCH", `/api/users/${id}`, { groups: ["members"] })).status).toBe(200)
    for (const caller of [bea, admin.inDomain("bravo")]) {
      const home = await caller.json("DELETE", `/api/users/${id}/domains/bravo`)
      expect(home.status).toBe(409)
      expect(home.body).toBe("bravo is the home domain of hal: an account cannot leave its home domain; disable the user instead")
    }
    expect((await admin.inDomain("bravo").json("GET", `/api/users/${id}`)).body.domains).toEqual(["bravo", "alpha"])
    // A user of one domain only: their home is their last membership.
    const single = await amy.json("POST", "/api/users", { username: "solo", password: "solo-password-123" })
    expect((await amy.json("DELETE", `/api/users/${single.body.id}/domains/alpha`)).status).toBe(409)

    expect((await amy.json("DELETE", `/api/users/${id}/domains/alpha`)).status).toBe(200)
    const again = await admin.inDomain("bravo").json("DELETE", `/api/users/${id}/domains/alpha`)
    expect(again.status).toBe(404)
    expect(again.body).toBe("hal is not a member of domain alpha")
  })

  it("lets either domain's administrator remove the membership of their own domain only, accepting domains:<name> in the path", async () => {
    const created = await admin.inDomain("alpha").json("POST", "/api/users", { username: "ivy", password: "ivy-password-123", groups: ["members"] })
    const id = created.body.id as string
    expect((await admin.inDomain("bravo").json("PATCH", `/api/users/${id}`, { groups: ["members"] })).status).toBe(200)
    // amy administers alpha only: bravo's membership is bravo's.
    const fromAlpha = await amy.json("DELETE", `/api/users/${id}/domains/bravo`)
    expect(fromAlpha.status).toBe(403)
    expect(fromAlpha.body).toBe("Missing permission users:read-write:domain in domain bravo")
    expect((await bea.json("DELETE", `/api/users/${id}/domains/domains:bravo`)).status).toBe(200)
    expect((await admin.inDomain("alpha").json("GET", `/api/users/${id}`)).body.domains).toEqual(["alpha"])
  })

  it("answers bad input with a status and a message saying what to do", async () => {
    const unknown = await amy.json("DELETE", "/api/users/no-such-user/domains/alpha")
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatch(/^No user no-such-user/)
    const amyId = (await amy.json("GET", "/api/me")).body.id
    const bad = await amy.json("DELETE", `/api/users/${amyId}/domains/${encodeURIComponent("Not A Domain!")}`)
    expect(bad.status).toBe(400)
    expect(bad.body).toMatch(/domain name such as acme/)
    // Without users:read-write:domain the caller is refused before anything else.
    const member = await admin.inDomain("alpha").json("POST", "/api/users", { username: "plain", password: "plain-password-123", groups: ["members"] })
    const plain = api(server.url, await loginAs(server.url, "plain", "plain-password-123"), "alpha")
    const refused = await plain.json("DELETE", `/api/users/${member.body.id}/domains/alpha`)
    expect(refused.status).toBe(403)
    expect(refused.body).toBe("Missing permission users:read-write:domain in domain alpha")
    expect((await fetch(`${server.url}/api/users/${amyId}/domains/alpha`, { method: "DELETE" })).status).toBe(401)
  })
})
