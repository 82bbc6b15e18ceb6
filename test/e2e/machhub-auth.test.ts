import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, loginAs, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const feature = (name: string, action: string, scope: string) => ({ name, action, scope })
const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })

interface Answer {
  readonly status: number
  readonly body: any
  readonly headers: Headers
}

/**
 * Requests built the way the MACHHUB SDK (@machhub-dev/sdk-ts 1.1.x) builds them: `<url>/machhub` as
 * the base, `Domain: domains:<app id>`, `X-Machhub-Runtime-Id` (empty when not set), the developer key
 * in `X-Machhub-Api-Key` when configured, `Authorization: Bearer <jwt>` once logged in, JSON bodies,
 * and path segments passed through encodeURIComponent.
 */
const sdk = (baseUrl: string, app: string, options: { developerKey?: string; token?: string } = {}) => {
  const call = async (method: string, path: string, body?: unknown, prefix = "/machhub"): Promise<Answer> => {
    const response = await fetch(`${baseUrl}${prefix}${path}`, {
      method,
      headers: {
        Domain: `domains:${app}`,
        "X-Machhub-Runtime-Id": "",
        ...(options.developerKey === undefined ? {} : { "X-Machhub-Api-Key": options.developerKey }),
        ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
        ...(body === undefined ? {} : { "Content-Type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const raw = await response.text()
    let parsed: unknown = raw
    try {
      parsed = JSON.parse(raw)
    } catch {
      // plain-text errors stay text
    }
    return { status: response.status, body: parsed, headers: response.headers }
  }
  return {
    call,
    login: async (username: string, password: string) => {
      const answer = await call("POST", "/auth/login", { username, password })
      if (answer.status !== 200) throw new Error(`login ${username}: ${answer.status} ${answer.body}`)
      return sdk(baseUrl, app, { ...options, token: answer.body.tkn as string })
    },
    get token() {
      return options.token
    }
  }
}
type Sdk = ReturnType<typeof sdk>

describe("the MACHHUB SDK's auth routes (/machhub/auth/* and /auth/*)", () => {
  let server: TestServer
  let admin: Api
  let developerKey: string
  let manager: Sdk // holds users and groups read-write in shop, and collections read-write
  let outsiderId: string
  const managerPassword = "manager-password-1"

  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    for (const name of ["shop", "other"]) expect((await admin.json("POST", "/api/domains", { name })).status).toBe(201)
    const shop = admin.inDomain("shop")
    expect((await shop.json("POST", "/api/groups", {
      name: "managers",
      permissions: [perm("users", "read-write", "domain"), perm("groups", "read-write", "domain"), perm("collections", "read-write", "domain")]
    })).status).toBe(201)
    expect((await shop.json("POST", "/api/users", { username: "manager", password: managerPassword, groups: ["managers"] })).status).toBe(201)
    const key = await shop.json("POST", "/api/api-key/generate", {
      name: "shop app",
      features: [feature("users", "read", "domain"), feature("groups", "read", "domain")]
    })
    expect(key.status).toBe(200)
    developerKey = key.body.token
    const outsider = await admin.inDomain("other").json("POST", "/api/users", { username: "outsider", password: "outsider-password-1" })
    expect(outsider.status).toBe(201)
    outsiderId = outsider.body.id
    manager = await sdk(server.url, "shop", { developerKey }).login("manager", managerPassword)
  })
  afterAll(() => server.dispose())

  it("logs in under /machhub/auth/login and answers the caller at me, with the developer key before login and the user after", async () => {
    const app = sdk(server.url, "shop", { developerKey })
    const asKey = await app.call("GET", "/auth/me")
    expect(asKey.status).toBe(200)
    expect(asKey.body).toMatchObject({ kind: "key", username: "admin", domain: "shop" })
    expect(asKey.body.keyId).toEqual(expect.any(String))

    // Once logged in the SDK sends both headers: the user's token decides.
    const me = await manager.call("GET", "/auth/me")
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({
      kind: "user",
      username: "manager",
      domain: "shop",
      groups: ["managers"],
      group_ids: ["managers"],
      domains: ["shop"],
      superuser: false
    })
    expect(me.body.permissions).toContainEqual(perm("users", "read-write", "domain"))
    expect(JSON.stringify(me.body)).not.toContain("scrypt")
    // The same route under /auth.
    expect((await manager.call("GET", "/auth/me", undefined, "")).body).toEqual(me.body)
  })

  it("refuses every protected route without a credential (401), and answers jwt/validate without one", async () => {
    const anonymous = sdk(server.url, "shop")
    for (const [method, path, body] of [
      ["GET", "/auth/me"],
      ["GET", "/auth/user"],
      ["GET", "/auth/user/x"],
      ["POST", "/auth/user", { username: "nobody", password: "nobody-password-1" }],
      ["GET", "/auth/group"],
      ["POST", "/auth/group", { name: "nobodies", features: [] }],
      ["POST", "/auth/group/managers/user/x"],
      ["GET", "/auth/permission"],
      ["POST", "/auth/permission", { group_id: "managers", permissions: [] }],
      ["GET", "/auth/permission/action/feature/users/scope/domain"],
      ["GET", "/auth/permission/action/feature/users"],
      ["GET", "/auth/permission/check/feature/users/scope/domain/action/read"],
      ["GET", "/auth/permission/check/feature/users/action/read"]
    ] as Array<[string, string, unknown?]>) {
      for (const prefix of ["/machhub", ""]) {
        const answer = await anonymous.call(method, path, body, prefix)
        expect(answer.status, `${method} ${prefix}${path}`).toBe(401)
        expect(typeof answer.body).toBe("string")
      }
    }
    expect((await anonymous.call("POST", "/auth/jwt/validate", { token: manager.token })).body).toEqual({ success: true, valid: true })
  })

  it("validates tokens: good until tampered with, of another kind, or its user disabled", async () => {
    const anonymous = sdk(server.url, "shop")
    const validate = async (token: unknown, prefix = "/machhub") => anonymous.call("POST", "/auth/jwt/validate", { token }, prefix)
    expect((await validate(manager.token)).body.valid).toBe(true)
    expect((await validate(manager.token, "")).body.valid).toBe(true)
    const [header, payload, signature] = manager.token!.split(".")
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), username: "admin" })).toString("base64url")
    for (const bad of [`${header}.${forged}.${signature}`, "not-a-token", "", "a b", developerKey]) {
      const answer = await validate(bad)
      expect(answer.status, bad).toBe(200)
      expect(answer.body, bad).toEqual({ success: true, valid: false })
    }
    expect((await validate(42)).status).toBe(400)
    expect((await anonymous.call("POST", "/auth/jwt/validate", {})).status).toBe(400)

    // A user disabled: their token stops being valid at once.
    const shop = admin.inDomain("shop")
    const temp = await shop.json("POST", "/api/users", { username: "temp", password: "temp-password-1" })
    const token = await loginAs(server.url, "temp", "temp-password-1")
    expect((await validate(token)).body.valid).toBe(true)
    expect((await shop.json("POST", `/api/users/${temp.body.id}/disable`)).status).toBe(200)
    expect((await validate(token)).body.valid).toBe(false)
  })

  it("creates users with a profile that every user read returns", async () => {
    const created = await manager.call("POST", "/auth/user", {
      firstName: "Jane",
      lastName: "Smith",
      username: "janesmith",
      email: "jane@example.com",
      password: "securePassword123",
      number: "+60123456789",
      userImage: null
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      username: "janesmith",
      firstName: "Jane",
      lastName: "Smith",
      email: "jane@example.com",
      number: "+60123456789",
      domain: "shop",
      groups: [],
      group_ids: [],
      disabled: false
    })
    expect(created.body).not.toHaveProperty("userImage")
    expect(created.body).not.toHaveProperty("password")
    expect(created.headers.get("etag")).toMatch(/^"\d+"$/)
    const id: string = created.body.id
    const profile = { firstName: "Jane", lastName: "Smith", email: "jane@example.com", number: "+60123456789" }

    const image = `data:image/png;base64,${Buffer.alloc(3000, 7).toString("base64")}`
    const pictured = await manager.call("POST", "/auth/user", { username: "pic", password: "picture-password-1", userImage: image }, "")
    expect(pictured.status).toBe(201)
    expect(pictured.body.userImage).toBe(image)

    expect((await manager.call("GET", `/auth/user/${id}`)).body).toMatchObject(profile)
    expect((await manager.call("GET", `/auth/user/${encodeURIComponent(`users:${id}`)}`)).body).toMatchObject({ id, ...profile })
    const list = await manager.call("GET", "/auth/user")
    expect(list.body.find((u: { id: string }) => u.id === id)).toMatchObject(profile)
    expect(list.body.find((u: { id: string }) => u.id === pictured.body.id).userImage).toBe(image)
    const managed = admin.inDomain("shop")
    expect((await managed.json("GET", `/api/users/${id}`)).body).toMatchObject(profile)
    expect((await managed.json("GET", "/api/users")).body.find((u: { id: string }) => u.id === id)).toMatchObject(profile)
    // The past as well: the registration carried the profile.
    expect((await managed.json("GET", `/api/users/${id}?asOf=${created.headers.get("app-event-position")}`)).body).toMatchObject(profile)

    // The new user sees its own profile.
    const jane = await sdk(server.url, "shop").login("janesmith", "securePassword123")
    expect((await jane.call("GET", "/auth/me")).body).toMatchObject({ id, username: "janesmith", ...profile })
    expect((await api(server.url, jane.token!, "shop").json("GET", "/api/me")).body).toMatchObject({ userId: id, ...profile })
    // The management route takes the same profile fields.
    const viaApi = await managed.json("POST", "/api/users", { username: "viaapi", password: "via-api-password-1", firstName: "Via", email: "via@example.com" })
    expect(viaApi.status).toBe(201)
    expect(viaApi.body.user).toMatchObject({ firstName: "Via", email: "via@example.com" })
  })

  it("refuses a malformed profile with 400 naming the field, and creates nothing", async () => {
    const base = { username: "badprofile", password: "bad-profile-password-1" }
    for (const [field, value] of [
      ["email", "not-an-email"],
      ["email", "two@@example.com"],
      ["firstName", "x".repeat(101)],
      ["lastName", "tab\there"],
      ["number", "call me"],
      ["number", "1".repeat(33)],
      ["userImage", "x".repeat(128 * 1024 + 1)],
      ["userImage", {}],
      ["email", 42]
    ] as Array<[string, unknown]>) {
      const answer = await manager.call("POST", "/auth/user", { ...base, [field]: value })
      expect(answer.status, `${field}=${String(value).slice(0, 20)}`).toBe(400)
      expect(answer.body).toContain(field)
    }
    expect((await admin.inDomain("shop").json("POST", "/api/users", { ...base, email: "nope" })).status).toBe(400)
    expect((await manager.call("GET", "/auth/user")).body.map((u: { username: string }) => u.username)).not.toContain("badprofile")
    // The username and password rules are those of POST /api/users.
    expect((await manager.call("POST", "/auth/user", { username: "manager", password: "another-password-1" })).status).toBe(409)
    expect((await manager.call("POST", "/auth/user", { username: "shorty", password: "short" })).status).toBe(422)
  })

  it("answers permission checks for the caller, always 200, [] or false for no access", async () => {
    const actions = async (path: string, caller: Sdk = manager) => {
      const answer = await caller.call("GET", path)
      expect(answer.status, path).toBe(200)
      return answer.body.actions
    }
    expect(await actions("/auth/permission/action/feature/users/scope/domain")).toEqual(["read", "read-write"])
    expect(await actions("/auth/permission/action/feature/users/scope/all")).toEqual([])
    expect(await actions("/auth/permission/action/feature/users")).toEqual(["read", "read-write"])
    expect(await actions("/auth/permission/action/feature/flows/scope/domain")).toEqual([])
    expect(await actions(`/auth/permission/action/feature/${encodeURIComponent("Not A Feature")}/scope/domain`)).toEqual([])
    expect(await actions("/auth/permission/action/feature/users/scope/production")).toEqual([])
    // The developer key alone: its own (read) grants.
    expect(await actions("/auth/permission/action/feature/users", sdk(server.url, "shop", { developerKey }))).toEqual(["read"])

    const check = async (path: string) => {
      const answer = await manager.call("GET", path, undefined, "")
      expect(answer.status, path).toBe(200)
      return answer.body.permission
    }
    expect(await check("/auth/permission/check/feature/collections/scope/self/action/read-write")).toBe(true)
    expect(await check("/auth/permission/check/feature/collections/scope/all/action/read")).toBe(false)
    expect(await check("/auth/permission/check/feature/collections/action/read")).toBe(true)
    expect(await check("/auth/permission/check/feature/flows/action/read")).toBe(false)
    expect(await check("/auth/permission/check/feature/collections/action/export")).toBe(false)
  })

  it("creates groups with features, adds users to them and grants them permissions", async () => {
    const group = await manager.call("POST", "/auth/group", { name: "editors", features: [feature("collections", "read", "domain")] })
    expect(group.status).toBe(201)
    expect(group.body).toEqual({
      id: "editors",
      name: "editors",
      features: [{ name: "collections", action: "read", scope: "domain", domain: "shop" }],
      user_ids: [],
      version: 1
    })
    expect((await manager.call("POST", "/auth/group", { name: "editors", features: [] })).status).toBe(409)

    const writer = await manager.call("POST", "/auth/user", { username: "writer", password: "writer-password-1" })
    const writerId: string = writer.body.id
    const added = await manager.call("POST", `/auth/group/editors/user/${writerId}`)
    expect(added.status).toBe(200)
    expect(added.body.user).toMatchObject({ id: writerId, groups: ["editors"], group_ids: ["editors"] })
    expect(added.headers.get("etag")).toBe('"2"')
    // Already a member: nothing changes. The record-id forms name the same group and user.
    const again = await manager.call("POST", `/auth/group/${encodeURIComponent("groups:editors")}/user/${encodeURIComponent(`users:${writerId}`)}`)
    expect(again.status).toBe(200)
    expect(again.headers.get("etag")).toBeNull()
    expect((await admin.inDomain("shop").json("GET", `/api/users/${writerId}`)).body.version).toBe(2)

    const granted = await manager.call("POST", "/auth/permission", {
      group_id: "editors",
      permissions: [feature("collections", "read-write", "domain"), feature("users", "read", "self")]
    })
    expect(granted.status).toBe(200)
    expect(granted.body.group.features).toEqual(expect.arrayContaining([
      { name: "collections", action: "read-write", scope: "domain", domain: "shop" },
      { name: "users", action: "read", scope: "self", domain: "shop" }
    ]))
    // Granting again is harmless.
    expect((await manager.call("POST", "/auth/permission", { group_id: "groups:editors", permissions: [feature("users", "read", "self")] })).status).toBe(200)

    const groups = await manager.call("GET", "/auth/group")
    expect(groups.status).toBe(200)
    const editors = groups.body.find((g: { id: string }) => g.id === "editors")
    expect(editors.user_ids).toEqual([writerId])
    const permissions = await manager.call("GET", "/auth/permission")
    expect(permissions.body.permissions).toEqual(expect.arrayContaining([
      feature("collections", "read-write", "domain"),
      feature("collections", "read", "domain"),
      feature("users", "read", "self"),
      feature("groups", "read-write", "domain")
    ]))
    // The same groups under /api/groups.
    expect((await admin.inDomain("shop").json("GET", "/api/groups")).body.find((g: { name: string }) => g.name === "editors").permissions).toHaveLength(3)

    // The writer now holds what editors grant.
    const writerSdk = await sdk(server.url, "shop").login("writer", "writer-password-1")
    expect((await writerSdk.call("GET", "/auth/permission/action/feature/collections/scope/domain")).body.actions).toEqual(["read", "read-write"])
  })

  it("refuses malformed groups and permissions (422 naming the field), unknown groups (404) and the superuser group", async () => {
    const badFeature = await manager.call("POST", "/auth/group", { name: "bad", features: [feature("Not Valid", "read", "domain")] })
    expect(badFeature.status).toBe(422)
    expect(badFeature.body).toContain("features[0].name")
    const badScope = await manager.call("POST", "/auth/permission", { group_id: "editors", permissions: [feature("collections", "read", "everywhere")] })
    expect(badScope.status).toBe(422)
    expect(badScope.body).toContain("permissions[0].scope")
    expect((await manager.call("POST", "/auth/group", { name: "Editors With Spaces", features: [] })).status).toBe(422)
    expect((await manager.call("POST", "/auth/group", { name: "superuser", features: [] })).status).toBe(403)
    expect((await manager.call("POST", "/auth/group", { name: "nofeatures" })).status).toBe(201)
    expect((await manager.call("POST", "/auth/group", { features: [] })).status).toBe(400)
    expect((await manager.call("POST", "/auth/permission", { group_id: "ghosts", permissions: [feature("collections", "read", "domain")] })).status).toBe(404)
    const writer = (await manager.call("GET", "/auth/user")).body.find((u: { username: string }) => u.username === "writer")
    expect((await manager.call("POST", `/auth/group/ghosts/user/${writer.id}`)).status).toBe(404)
    expect((await manager.call("POST", "/auth/group/editors/user/no-such-user")).status).toBe(404)
    // Only a superuser hands out the superuser group.
    expect((await manager.call("POST", `/auth/group/superuser/user/${writer.id}`)).status).toBe(403)
  })

  it("refuses what the caller's permissions do not allow (403), with the management routes' rules", async () => {
    // Nobody grants more than they hold.
    const flows = await manager.call("POST", "/auth/group", { name: "flowers", features: [feature("flows", "read", "domain")] })
    expect(flows.status).toBe(403)
    expect((await manager.call("POST", "/auth/permission", { group_id: "editors", permissions: [feature("flows", "read", "domain")] })).status).toBe(403)

    // The developer key reads users and groups but changes nothing.
    const keyOnly = sdk(server.url, "shop", { developerKey })
    expect((await keyOnly.call("GET", "/auth/user")).status).toBe(200)
    expect((await keyOnly.call("GET", "/auth/group")).status).toBe(200)
    expect((await keyOnly.call("GET", "/auth/permission")).status).toBe(200)
    expect((await keyOnly.call("POST", "/auth/user", { username: "bykey", password: "by-key-password-1" })).status).toBe(403)
    expect((await keyOnly.call("POST", "/auth/group", { name: "bykey", features: [] })).status).toBe(403)
    expect((await keyOnly.call("POST", "/auth/permission", { group_id: "editors", permissions: [] })).status).toBe(403)
    const writer = (await keyOnly.call("GET", "/auth/user")).body.find((u: { username: string }) => u.username === "writer")
    expect((await keyOnly.call("POST", `/auth/group/nofeatures/user/${writer.id}`)).status).toBe(403)

    // A user without any grant: itself only.
    const plain = await sdk(server.url, "shop").login("janesmith", "securePassword123")
    expect((await plain.call("GET", "/auth/me")).status).toBe(200)
    expect((await plain.call("GET", "/auth/permission/action/feature/users/scope/self")).body.actions).toEqual([])
    for (const [method, path, body] of [
      ["GET", "/auth/user"],
      ["GET", `/auth/user/${writer.id}`],
      ["POST", "/auth/user", { username: "byjane", password: "by-jane-password-1" }],
      ["GET", "/auth/group"],
      ["POST", "/auth/group", { name: "janes", features: [] }],
      ["POST", `/auth/group/editors/user/${writer.id}`],
      ["GET", "/auth/permission"],
      ["POST", "/auth/permission", { group_id: "editors", permissions: [] }]
    ] as Array<[string, string, unknown?]>) {
      const answer = await plain.call(method, path, body)
      expect(answer.status, `${method} ${path}`).toBe(403)
      expect(answer.body).toMatch(/Missing permission/)
    }

    // users:read:self (editors): the writer sees itself only.
    const writerSdk = await sdk(server.url, "shop").login("writer", "writer-password-1")
    expect((await writerSdk.call("GET", "/auth/user")).body.map((u: { username: string }) => u.username)).toEqual(["writer"])
    const manager_ = (await manager.call("GET", "/auth/me")).body
    expect((await writerSdk.call("GET", `/auth/user/${manager_.id}`)).status).toBe(404)
    expect((await writerSdk.call("GET", `/auth/user/${writer.id}`)).status).toBe(200)
  })

  it("never reaches another domain's user, nor acts in a domain the caller is not a member of", async () => {
    expect((await manager.call("GET", `/auth/user/${outsiderId}`)).status).toBe(404)
    expect((await manager.call("GET", "/auth/user")).body.map((u: { id: string }) => u.id)).not.toContain(outsiderId)
    expect((await manager.call("POST", `/auth/group/editors/user/${outsiderId}`)).status).toBe(404)
    expect((await admin.inDomain("other").json("GET", `/api/users/${outsiderId}`)).body.groups).toEqual([])

    // The manager's token in a domain it does not belong to: 403 on every route but validation.
    const elsewhere = sdk(server.url, "other", { token: manager.token! })
    expect((await elsewhere.call("GET", "/auth/me")).status).toBe(403)
    expect((await elsewhere.call("GET", `/auth/user/${outsiderId}`)).status).toBe(403)
    expect((await elsewhere.call("GET", "/auth/permission/action/feature/users")).status).toBe(403)
    expect((await elsewhere.call("POST", "/auth/jwt/validate", { token: manager.token })).body.valid).toBe(true)
    // The shop's developer key cannot be pointed at another domain either.
    expect((await sdk(server.url, "other", { developerKey }).call("GET", "/auth/user")).status).toBe(403)

    // A superuser of machhub_admin may bring another domain's user into this one, as with PATCH /api/users/<id>.
    const root = sdk(server.url, "shop", { token: admin.token })
    const brought = await root.call("POST", `/auth/group/editors/user/${outsiderId}`)
    expect(brought.status).toBe(200)
    expect(brought.body.user).toMatchObject({ id: outsiderId, groups: ["editors"], domains: ["other", "shop"] })
    expect((await manager.call("GET", `/auth/user/${outsiderId}`)).status).toBe(200)
    // Their groups here are this domain's business (a membership action): the shop's manager may change
    // them without any permission in the outsider's home domain.
    const regrouped = await manager.call("POST", `/auth/group/nofeatures/user/${outsiderId}`)
    expect(regrouped.status).toBe(200)
    expect(regrouped.body.user.groups).toEqual(["editors", "nofeatures"])
    expect((await admin.inDomain("other").json("GET", `/api/users/${outsiderId}`)).body.groups).toEqual([])
  })
})
