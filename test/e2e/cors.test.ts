import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api } from "../support/api.js"
import { loginAsAdmin, postJson, startTestServer, type TestServer } from "../support/server.js"

const APP = "https://app.example.com"
const OTHER_APP = "http://localhost:5173"
const STRANGER = "https://evil.example.net"

const CORS_HEADERS = [
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-expose-headers",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-max-age"
]

/** The headers every answer to a listed origin carries, whatever its status. */
const expectCorsFor = (response: Response, origin: string) => {
  expect(response.headers.get("access-control-allow-origin")).toBe(origin)
  expect(response.headers.get("access-control-allow-credentials")).toBe("true")
  expect(response.headers.get("vary")).toMatch(/\bOrigin\b/)
  const exposed = (response.headers.get("access-control-expose-headers") ?? "").split(",").map((name) => name.trim().toLowerCase())
  for (const name of ["app-correlationid", "etag", "app-event-position", "retry-after", "content-disposition"]) expect(exposed).toContain(name)
}

const expectNoCors = (response: Response) => {
  for (const name of CORS_HEADERS) expect(response.headers.get(name), name).toBeNull()
}

const preflight = (url: string, origin: string, method: string, headers?: string) =>
  fetch(url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, ...(headers === undefined ? {} : { "access-control-request-headers": headers }) }
  })

const listOf = (value: string | null) => (value ?? "").split(",").map((item) => item.trim())

describe("CORS for listed browser origins (MACHHUB_CORS_ORIGINS)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      maxBodyBytes: 64 * 1024,
      loginMaxFailures: 2,
      keyRateLimit: 1,
      env: { MACHHUB_CORS_ORIGINS: `${APP}, ${OTHER_APP}` }
    })
  })
  afterAll(() => server.dispose())

  it("adds nothing to a request without an Origin header", async () => {
    expectNoCors(await fetch(`${server.url}/healthz`))
    expectNoCors(await fetch(`${server.url}/api/me`))
  })

  it("answers a listed origin on success, with its own origin and never *", async () => {
    for (const origin of [APP, OTHER_APP]) {
      const health = await fetch(`${server.url}/healthz`, { headers: { origin } })
      expect(health.status).toBe(200)
      expectCorsFor(health, origin)
      const ready = await fetch(`${server.url}/readyz`, { headers: { origin } })
      expect(ready.status).toBe(200)
      expectCorsFor(ready, origin)
    }
    const token = await loginAsAdmin(server.url)
    const me = await fetch(`${server.url}/api/me`, { headers: { origin: APP, authorization: `Bearer ${token}` } })
    expect(me.status).toBe(200)
    expectCorsFor(me, APP)
  })

  it("puts them on the answers the edge and the guard refuse with: 401, 403, 404, 405, 413", async () => {
    const headers = { origin: APP }
    const unauthenticated = await fetch(`${server.url}/api/me`, { headers })
    expect(unauthenticated.status).toBe(401)
    expectCorsFor(unauthenticated, APP)

    const admin = await adminApi(server.url)
    const generated = await admin.json("POST", "/api/api-key/generate", { name: "cors-reader", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(generated.status).toBe(200)
    const forbidden = await fetch(`${server.url}/api/users`, { headers: { ...headers, "x-machhub-api-key": generated.body.token } })
    expect(forbidden.status).toBe(403)
    expectCorsFor(forbidden, APP)

    const missing = await fetch(`${server.url}/no/such/route`, { headers })
    expect(missing.status).toBe(404)
    expectCorsFor(missing, APP)

    const wrongMethod = await fetch(`${server.url}/auth/login`, { method: "DELETE", headers })
    expect(wrongMethod.status).toBe(405)
    expectCorsFor(wrongMethod, APP)

    const tooLarge = await postJson(`${server.url}/auth/login`, { username: "a", password: "x".repeat(70 * 1024) }, headers)
    expect(tooLarge.status).toBe(413)
    expectCorsFor(tooLarge, APP)
  })

  it("puts them on 429 answers, where a page needs Retry-After", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await postJson(`${server.url}/machhub/auth/login`, { username: "cors-nobody", password: "wrong" }, { origin: APP })
      expect(failed.status).toBe(401)
      expectCorsFor(failed, APP)
    }
    const throttled = await postJson(`${server.url}/machhub/auth/login`, { username: "cors-nobody", password: "wrong" }, { origin: APP })
    expect(throttled.status).toBe(429)
    expectCorsFor(throttled, APP)
    expect(throttled.headers.get("retry-after")).toMatch(/^\d+$/)
  })

  it("puts them on a streamed answer", async () => {
    const token = await loginAsAdmin(server.url)
    const exported = await fetch(`${server.url}/api/audit/events/export?limit=1`, { headers: { origin: APP, authorization: `Bearer ${token}` } })
    expect(exported.status).toBe(200)
    expectCorsFor(exported, APP)
    await exported.text()
  })

  it("adds nothing for an origin that is not listed, and the request is still served", async () => {
    const health = await fetch(`${server.url}/healthz`, { headers: { origin: STRANGER } })
    expect(health.status).toBe(200)
    expectNoCors(health)
    // Exact origins: another scheme, port or a trailing slash is another origin.
    for (const near of ["http://app.example.com", "https://app.example.com:8443", "https://app.example.com/", "null"]) {
      expectNoCors(await fetch(`${server.url}/healthz`, { headers: { origin: near } }))
    }
  })

  it("answers a preflight for fixed paths without a credential: 204, the path's methods, the requested headers, a max age", async () => {
    const login = await preflight(`${server.url}/machhub/auth/login`, APP, "POST", "content-type,domain,x-machhub-runtime-id")
    expect(login.status).toBe(204)
    expectCorsFor(login, APP)
    expect(listOf(login.headers.get("access-control-allow-methods"))).toEqual(["POST"])
    expect(listOf(login.headers.get("access-control-allow-headers"))).toEqual(["content-type", "domain", "x-machhub-runtime-id"])
    expect(Number(login.headers.get("access-control-max-age"))).toBeGreaterThan(0)
    expect(await login.text()).toBe("")

    const health = await preflight(`${server.url}/healthz`, OTHER_APP, "GET")
    expect(health.status).toBe(204)
    expectCorsFor(health, OTHER_APP)
    expect(health.headers.get("access-control-allow-headers")).toBeNull()
  })

  it("answers a preflight for parameterised paths, record ids URL-encoded or not", async () => {
    const requested = "authorization,domain,x-machhub-api-key,x-machhub-runtime-id,if-match,idempotency-key,app-correlationid,content-type"
    for (const path of ["/machhub/acme.products%3Aabc", "/machhub/acme.products:abc"]) {
      const record = await preflight(`${server.url}${path}`, APP, "PUT", requested)
      expect(record.status).toBe(204)
      expectCorsFor(record, APP)
      const methods = listOf(record.headers.get("access-control-allow-methods"))
      for (const method of ["GET", "PUT", "DELETE"]) expect(methods).toContain(method)
      expect(listOf(record.headers.get("access-control-allow-headers"))).toEqual(requested.split(","))
    }
    const create = await preflight(`${server.url}/machhub/products`, APP, "POST", "authorization,domain")
    expect(create.status).toBe(204)
    expect(listOf(create.headers.get("access-control-allow-methods"))).toContain("POST")
    const list = await preflight(`${server.url}/machhub/products/all`, APP, "GET", "authorization,domain")
    expect(list.status).toBe(204)
    expect(listOf(list.headers.get("access-control-allow-methods"))).toContain("GET")
    const user = await preflight(`${server.url}/api/users/some-id`, APP, "PATCH", "Authorization, Content-Type")
    expect(user.status).toBe(204)
    expect(listOf(user.headers.get("access-control-allow-methods"))).toContain("PATCH")
  })

  it("answers a preflight for every route the server has", async () => {
    for (const { method, path } of server.routes()) {
      const concrete = path.replace(/:[^/]+/g, "x").replace(/\/\*$/, "/x")
      const answer = await preflight(`${server.url}${concrete}`, APP, method, "authorization")
      expect(answer.status, `${method} ${path}`).toBe(204)
      expect(listOf(answer.headers.get("access-control-allow-methods")), `${method} ${path}`).toContain(method)
      expectCorsFor(answer, APP)
    }
  })

  it("refuses a preflight from an origin that is not listed, with no CORS headers", async () => {
    const refused = await preflight(`${server.url}/machhub/products`, STRANGER, "POST", "authorization")
    expect(refused.status).toBe(403)
    expectNoCors(refused)
    expect(await refused.text()).toMatch(/evil\.example\.net.*not listed in MACHHUB_CORS_ORIGINS/)
  })

  it("refuses a preflight for a method the path does not take, saying which", async () => {
    const method = await preflight(`${server.url}/machhub/auth/login`, APP, "DELETE")
    expect(method.status).toBe(405)
    expectCorsFor(method, APP)
    expect(method.headers.get("allow")).toBe("POST")
    expect(await method.text()).toMatch(/DELETE is not allowed on \/machhub\/auth\/login; use POST/)
  })

  it("lets a listed origin send any header it asks for (the SDK sends a stray `key` header), but not a list no browser sends", async () => {
    const asked = "content-type,domain,key,x-machhub-runtime-id,traceparent"
    const headers = await preflight(`${server.url}/machhub/auth/login`, APP, "POST", asked)
    expect(headers.status).toBe(204)
    expect(listOf(headers.headers.get("access-control-allow-headers"))).toEqual(asked.split(","))

    const malformed = await preflight(`${server.url}/machhub/auth/login`, APP, "POST", "content-type, (evil)")
    expect(malformed.status).toBe(400)
    expectCorsFor(malformed, APP)
    expect(malformed.headers.get("access-control-allow-methods")).toBeNull()
    expect(await malformed.text()).toMatch(/Access-Control-Request-Headers must be a comma-separated list of header names/)
  })

  it("answers OPTIONS on an unknown path 404, and a plain OPTIONS 204 with Allow", async () => {
    const unknown = await preflight(`${server.url}/no/such/route`, APP, "GET")
    expect(unknown.status).toBe(404)
    expectCorsFor(unknown, APP)
    const plain = await fetch(`${server.url}/machhub/acme.products%3Aabc`, { method: "OPTIONS" })
    expect(plain.status).toBe(204)
    expectNoCors(plain)
    const allow = listOf(plain.headers.get("allow"))
    for (const m of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]) expect(allow).toContain(m)
  })

  it("lets a listed origin make the request after its preflight, with credentials, reading the exposed headers", async () => {
    const admin = await adminApi(server.url)
    const before = await preflight(`${server.url}/machhub/cors_things`, APP, "POST", "authorization,content-type,domain")
    expect(before.status).toBe(204)
    const created = await fetch(`${server.url}/machhub/cors_things`, {
      method: "POST",
      headers: { origin: APP, authorization: `Bearer ${admin.token}`, "content-type": "application/json", domain: "domains:machhub_admin" },
      body: JSON.stringify({ name: "x" })
    })
    expect(created.status).toBe(201)
    expectCorsFor(created, APP)
    expect(created.headers.get("etag")).toMatch(/^"\d+"$/)
    expect(created.headers.get("app-event-position")).toMatch(/^\d+$/)
  })

  it("puts them on 429 for an API key over its rate", async () => {
    const admin = await adminApi(server.url)
    const generated = await admin.json("POST", "/api/api-key/generate", { name: "cors-key", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(generated.status).toBe(200)
    const key = api(server.url, generated.body.token, undefined, "x-api-key")
    let limited: Response | undefined
    for (let attempt = 0; attempt < 10 && limited === undefined; attempt++) {
      const response = await key.request("GET", "/api/me", undefined, { origin: APP })
      expectCorsFor(response, APP)
      if (response.status === 429) limited = response
    }
    expect(limited?.status).toBe(429)
  })
})

describe("CORS when no origin is listed (the default)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.dispose())

  it("adds no CORS header to any answer and refuses preflights", async () => {
    expectNoCors(await fetch(`${server.url}/healthz`, { headers: { origin: APP } }))
    expectNoCors(await fetch(`${server.url}/api/me`, { headers: { origin: APP } }))
    const refused = await preflight(`${server.url}/machhub/products`, APP, "POST", "authorization")
    expect(refused.status).toBe(403)
    expectNoCors(refused)
  })
})
