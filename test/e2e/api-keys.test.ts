import { createHmac } from "node:crypto"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const TOKEN = /^mchx_[A-Za-z0-9_-]{43}$/
const HEADERS = ["bearer", "apikey", "x-api-key"] as const
const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })
const feature = (name: string, action: string, scope: string) => ({ name, action, scope })

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })

describe("API keys (SPEC §4)", () => {
  let server: TestServer
  let admin: Api
  let carol: { api: Api; userId: string }
  /** Every key issued in this file: none may be found in the log or the data dir afterwards. */
  const issued: Array<string> = []

  const keyApi = (token: string, domain?: string, header: (typeof HEADERS)[number] = "bearer") => api(server.url, token, domain, header)
  const generate = async (as: Api, body: unknown) => {
    const response = await as.json("POST", "/api/api-key/generate", body)
    if (response.status === 200) issued.push(response.body.token)
    return response
  }

  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    carol = await seedDomainUser(admin, {
      domain: "acme",
      username: "carol",
      group: "keyholders",
      permissions: [
        perm("api_keys", "read-write", "self"),
        perm("collections", "read", "domain"),
        perm("reports", "read", "domain"),
        perm("machines", "read", "domain")
      ]
    })
  })
  afterAll(() => server.dispose())

  let key: { id: string; token: string }

  it("issues a key once and accepts it under every credential header on /api/me", async () => {
    const response = await generate(carol.api, {
      name: "exporter",
      description: "nightly export",
      features: [feature("collections", "read", "domain")],
      scopes: ["reporting"]
    })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ success: true, id: expect.any(String), token: expect.stringMatching(TOKEN) })
    expect(response.headers.get("etag")).toBe('"1"')
    expect(Number(response.headers.get("app-event-position"))).toBeGreaterThan(0)
    key = { id: response.body.id, token: response.body.token }

    for (const header of HEADERS) {
      for (const domain of [undefined, "acme"]) {
        const me = await keyApi(key.token, domain, header).json("GET", "/api/me")
        expect(me.status, `${header} ${domain}`).toBe(200)
        expect(me.body).toMatchObject({ kind: "key", id: key.id, userId: carol.userId, username: "carol", domain: "acme", superuser: false })
        expect(me.body.permissions).toEqual([
          perm("collections", "read", "domain"),
          perm("machines", "read", "domain"),
          perm("reports", "read", "domain")
        ])
      }
    }
  })

  it("lists keys without their secret or its hash", async () => {
    const list = await carol.api.json("GET", "/api/api-key/get-all")
    expect(list.status).toBe(200)
    expect(list.body).toEqual([expect.objectContaining({
      id: key.id,
      name: "exporter",
      description: "nightly export",
      domain: "acme",
      status: "active",
      expiration: 0,
      expired: false,
      features: [feature("collections", "read", "domain")],
      scopes: ["reporting"],
      issuedBy: carol.userId
    })])
    const secretPath = join(server.dataDir, "keys", "api-key-hmac.key")
    expect(statSync(secretPath).mode & 0o777).toBe(0o600)
    const secret = readFileSync(secretPath)
    expect(secret.length).toBe(32)
    const hash = createHmac("sha256", secret).update(key.token).digest("hex")
    const raw = JSON.stringify(list.body)
    expect(raw).not.toContain(key.token.slice(5))
    expect(raw).not.toContain(hash)
    expect(raw).not.toMatch(/hash|secret/i)
    const one = await carol.api.json("GET", `/api/api-key/${key.id}`)
    expect(one.body).toMatchObject({ id: key.id, status: "active" })
    expect(JSON.stringify(one.body)).not.toContain(hash)
  })

  it("refuses to grant more than the issuer holds, and names what is wrong in a request", async () => {
    const tooMuch = await generate(carol.api, { name: "x", features: [feature("users", "read", "domain")] })
    expect(tooMuch.status).toBe(403)
    expect(tooMuch.body).toContain("users:read:domain")
    const wider = await generate(carol.api, { name: "x", features: [feature("collections", "read-write", "domain")] })
    expect(wider.status).toBe(403)
    expect(wider.body).toContain("collections:read-write:domain")
    const scope = await generate(carol.api, { name: "x", scopes: ["audit"] })
    expect(scope.status).toBe(403)
    expect(scope.body).toContain("audit")

    const cases: Array<[unknown, number, RegExp]> = [
      [{ name: "x", scopes: ["reporting", "everything"] }, 422, /scopes\[1\]/],
      [{ name: "x", features: [feature("collections", "write", "domain")] }, 422, /features\[0\]\.action/],
      [{ name: "x", features: [feature("Bad Name", "read", "domain")] }, 422, /features\[0\]\.name/],
      [{ name: "x", features: [feature("collections", "read", "galaxy")] }, 422, /features\[0\]\.scope/],
      [{ name: "x", expiration: Math.floor(Date.now() / 1000) - 10 }, 422, /expiration .* in the past/],
      [{ name: "x", expiration: Date.now() + 60_000 }, 422, /expiration .*milliseconds/],
      [{ name: "x", expiration: 1.5 }, 422, /expiration/],
      [{ name: "  " }, 422, /name/],
      [{ features: [] }, 400, /name/],
      [{ name: "x", features: "all" }, 400, /features/]
    ]
    for (const [body, status, message] of cases) {
      const response = await generate(carol.api, body)
      expect(response.status, JSON.stringify(body)).toBe(status)
      expect(response.body).toMatch(message)
    }
  })

  it("applies a PATCH of scopes or features on the key's very next request", async () => {
    const patched = await carol.api.json("PATCH", `/api/api-key/${key.id}`, { scopes: [] })
    expect(patched.status).toBe(200)
    expect(patched.headers.get("etag")).toBe('"2"')
    expect(patched.body.key).toMatchObject({ id: key.id, scopes: [] })
    expect((await keyApi(key.token).json("GET", "/api/me")).body.permissions).toEqual([perm("collections", "read", "domain")])

    const back = await carol.api.json("PATCH", `/api/api-key/${key.id}`, { scopes: ["reporting"], name: "exporter 2" })
    expect(back.status).toBe(200)
    expect((await keyApi(key.token).json("GET", "/api/me")).body.permissions).toHaveLength(3)

    expect((await carol.api.json("PATCH", `/api/api-key/${key.id}`, { scopes: ["audit"] })).status).toBe(403)
    expect((await carol.api.json("PATCH", `/api/api-key/${key.id}`, {})).status).toBe(400)
    expect((await carol.api.json("PATCH", `/api/api-key/${key.id}`, { name: "x" }, { "If-Match": '"1"' })).status).toBe(412)
  })

  it("stops a suspended key on the next request and lets it work again once resumed (administrators only)", async () => {
    const notAdmin = await carol.api.json("POST", `/api/api-key/${key.id}/suspend`)
    expect(notAdmin.status).toBe(403)
    expect(notAdmin.body).toContain("api_keys:read-write:domain")

    const acmeAdmin = admin.inDomain("acme")
    const suspended = await acmeAdmin.json("POST", `/api/api-key/${key.id}/suspend`, { reason: "scraping" })
    expect(suspended.status).toBe(200)
    expect(suspended.body.key).toMatchObject({ status: "suspended", suspendReason: "scraping" })
    const refused = await keyApi(key.token).json("GET", "/api/me")
    expect(refused.status).toBe(401)
    expect(refused.body).toMatch(/suspended/)
    // Suspending twice changes nothing.
    expect((await acmeAdmin.json("POST", `/api/api-key/${key.id}/suspend`)).status).toBe(200)

    expect((await acmeAdmin.json("POST", `/api/api-key/${key.id}/resume`)).status).toBe(200)
    expect((await keyApi(key.token).json("GET", "/api/me")).status).toBe(200)
  })

  it("refuses a revoked key (DELETE by body or by path)", async () => {
    for (const how of ["body", "path"] as const) {
      const other = await generate(carol.api, { name: `to revoke by ${how}` })
      expect((await keyApi(other.body.token).json("GET", "/api/me")).status).toBe(200)
      const deleted = how === "body"
        ? await carol.api.json("DELETE", "/api/api-key/delete", { id: other.body.id })
        : await carol.api.json("DELETE", `/api/api-key/${other.body.id}`)
      expect(deleted.status).toBe(200)
      expect(deleted.body).toMatchObject({ success: true, id: other.body.id, key: { status: "revoked" } })
      const refused = await keyApi(other.body.token).json("GET", "/api/me")
      expect(refused.status).toBe(401)
      expect(refused.body).toMatch(/revoked/)
      // Revoked is final.
      expect((await admin.inDomain("acme").json("POST", `/api/api-key/${other.body.id}/resume`)).status).toBe(409)
    }
  })

  it("refuses an expired key", async () => {
    const expiration = Math.floor(Date.now() / 1000) + 2
    const short = await generate(carol.api, { name: "short-lived", expiration })
    expect(short.status).toBe(200)
    expect((await keyApi(short.body.token).json("GET", "/api/me")).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, (expiration + 0.2) * 1000 - Date.now()))
    const refused = await keyApi(short.body.token).json("GET", "/api/me")
    expect(refused.status).toBe(401)
    expect(refused.body).toMatch(/expired/)
    const listed = await carol.api.json("GET", `/api/api-key/${short.body.id}`)
    expect(listed.body).toMatchObject({ expiration, expired: true })
  })

  it("never lets a key exceed its issuer: what the issuer loses, the key loses on the next request", async () => {
    const acmeAdmin = admin.inDomain("acme")
    const reports = perm("reports", "read", "domain")
    expect((await acmeAdmin.json("DELETE", "/api/groups/keyholders/permissions", reports)).status).toBe(200)
    expect((await keyApi(key.token).json("GET", "/api/me")).body.permissions).toEqual([
      perm("collections", "read", "domain"),
      perm("machines", "read", "domain")
    ])
    expect((await acmeAdmin.json("POST", "/api/groups/keyholders/permissions", reports)).status).toBe(200)
    expect((await keyApi(key.token).json("GET", "/api/me")).body.permissions).toContainEqual(reports)

    expect((await acmeAdmin.json("POST", `/api/users/${carol.userId}/disable`)).status).toBe(200)
    const refused = await keyApi(key.token).json("GET", "/api/me")
    expect(refused.status).toBe(401)
    expect(refused.body).toMatch(/issuer is disabled/)
    expect((await acmeAdmin.json("POST", `/api/users/${carol.userId}/enable`)).status).toBe(200)
    expect((await keyApi(key.token).json("GET", "/api/me")).status).toBe(200)
  })

  it("keeps a key in its own domain: another domain in the Domain header is 403", async () => {
    for (const domain of ["machhub_admin", "elsewhere"]) {
      const refused = await keyApi(key.token, domain, "x-api-key").json("GET", "/api/me")
      expect(refused.status).toBe(403)
      expect(refused.body).toContain(domain)
    }
  })

  it("answers 404 for a key id of another domain, and for another issuer's key to a caller limited to its own", async () => {
    const adminKey = await generate(admin, { name: "admin's", scopes: ["audit"] })
    expect(adminKey.status).toBe(200)
    const acmeAdmin = admin.inDomain("acme")
    expect((await acmeAdmin.json("GET", `/api/api-key/${adminKey.body.id}`)).status).toBe(404)
    expect((await acmeAdmin.json("PATCH", `/api/api-key/${adminKey.body.id}`, { name: "mine now" })).status).toBe(404)
    expect((await acmeAdmin.json("DELETE", `/api/api-key/${adminKey.body.id}`)).status).toBe(404)
    expect((await acmeAdmin.json("POST", `/api/api-key/${adminKey.body.id}/suspend`)).status).toBe(404)
    expect((await acmeAdmin.json("GET", "/api/api-key/not-a-uuid")).status).toBe(404)
    expect((await acmeAdmin.json("GET", "/api/api-key/get-all")).body.map((k: { id: string }) => k.id)).not.toContain(adminKey.body.id)
    expect((await keyApi(adminKey.body.token).json("GET", "/api/me")).body).toMatchObject({ domain: "machhub_admin", permissions: [perm("audit", "read", "domain")] })

    // dave holds api_keys at scope self in acme: he sees and manages his own keys only.
    const dave = await seedDomainUser(admin, { domain: "acme", username: "dave", group: "self-keys", permissions: [perm("api_keys", "read-write", "self")] })
    const daves = await generate(dave.api, { name: "dave's" })
    expect(daves.status).toBe(200)
    expect((await dave.api.json("GET", "/api/api-key/get-all")).body.map((k: { id: string }) => k.id)).toEqual([daves.body.id])
    expect((await dave.api.json("GET", `/api/api-key/${key.id}`)).status).toBe(404)
    expect((await dave.api.json("DELETE", `/api/api-key/${key.id}`)).status).toBe(404)
    expect((await keyApi(key.token).json("GET", "/api/me")).status).toBe(200)
    // The domain's administrator sees every key of the domain.
    const all = (await acmeAdmin.json("GET", "/api/api-key/get-all")).body.map((k: { id: string }) => k.id)
    expect(all).toEqual(expect.arrayContaining([key.id, daves.body.id]))
  })

  it("does not let keys manage keys, nor callers without api_keys", async () => {
    const adminKey = await generate(admin, { name: "powerful", features: [feature("api_keys", "read-write", "domain")] })
    for (const [method, path] of [["POST", "/api/api-key/generate"], ["GET", "/api/api-key/get-all"], ["DELETE", `/api/api-key/${adminKey.body.id}`]] as const) {
      const refused = await keyApi(adminKey.body.token).json(method, path, method === "POST" ? { name: "child" } : undefined)
      expect(refused.status).toBe(403)
      expect(refused.body).toBe("API keys cannot manage API keys")
    }
    const erin = await seedDomainUser(admin, { domain: "acme", username: "erin" })
    const refused = await erin.api.json("POST", "/api/api-key/generate", { name: "x" })
    expect(refused.status).toBe(403)
    expect(refused.body).toContain("api_keys:read-write:self")
    expect((await keyApi(`mchx_${"A".repeat(43)}`).json("GET", "/api/me")).status).toBe(401)
    expect((await keyApi("mchx_short").json("GET", "/api/me")).status).toBe(401)
  })

  it("writes no key into any event, table or file (only its keyed hash)", async () => {
    expect(issued.length).toBeGreaterThanOrEqual(6)
    const events = await Effect.runPromise(server.store.readAll(1, 100_000))
    const issuedEvents = events.filter((e) => e.type === "KeyIssued")
    expect(issuedEvents.length).toBe(issued.length)
    expect((issuedEvents[0]!.data as { secretHash: string }).secretHash).toMatch(/^[0-9a-f]{64}$/)
    const log = JSON.stringify(events)
    const files = filesUnder(server.dataDir).map((path) => [path, readFileSync(path)] as const)
    for (const token of issued) {
      const secret = token.slice("mchx_".length)
      expect(log).not.toContain(secret)
      for (const [path, bytes] of files) expect(bytes.includes(secret), path).toBe(false)
    }
  })
})

describe("API key rate limit", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ keyRateLimit: 1 })
  })
  afterAll(() => server.dispose())

  it("answers 429 with a whole-second Retry-After over the key's rate, and recovers", async () => {
    const admin = await adminApi(server.url)
    const created = await admin.json("POST", "/api/api-key/generate", { name: "busy" })
    expect(created.status).toBe(200)
    const key = api(server.url, created.body.token)
    // Burst of 2 (twice the rate of 1/s), then refused.
    const statuses: Array<number> = []
    let limited: Response | undefined
    for (let i = 0; i < 4; i++) {
      const response = await key.request("GET", "/api/me")
      statuses.push(response.status)
      if (response.status === 429) limited = response
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200])
    expect(statuses).toContain(429)
    const retryAfter = limited!.headers.get("retry-after")
    expect(retryAfter).toMatch(/^[1-9]\d*$/)
    expect(await limited!.text()).toMatch(/Too many requests/)
    await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000 + 100))
    expect((await key.request("GET", "/api/me")).status).toBe(200)
  })
})
