import { Validator } from "@seriousme/openapi-schema-validator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../support/server.js"

interface Operation {
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly description?: string
  readonly responses: Record<string, unknown>
  readonly requestBody?: { readonly content: Record<string, { readonly schema: unknown }> }
}
interface Document {
  readonly openapi: string
  readonly paths: Record<string, Record<string, Operation>>
  readonly components: { readonly securitySchemes: Record<string, Record<string, string>> }
}

describe("the API document: GET /openapi.json and GET /docs", () => {
  let server: TestServer
  let document: Document
  beforeAll(async () => {
    server = await startTestServer()
    const response = await fetch(`${server.url}/openapi.json`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    document = (await response.json()) as Document
  })
  afterAll(() => server.dispose())

  const documented = () =>
    Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))

  it("lists every route the server answers, and nothing it does not", () => {
    const registered = server.routes().map((route) => `${route.method} ${route.path.replace(/:([A-Za-z0-9_]+)\+?/g, "{$1}")}`)
    // The comparison is between sets, so a route registered without a declaration fails here.
    expect(registered.length).toBeGreaterThan(40)
    expect([...new Set(documented())].sort()).toEqual([...new Set(registered)].sort())
  })

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(document.openapi).toBe("3.1.0")
    const result = await new Validator().validate(document as unknown as Parameters<Validator["validate"]>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it("declares the four credential kinds and which routes take which", () => {
    expect(document.components.securitySchemes).toMatchObject({
      bearer: { type: "http", scheme: "bearer" },
      apikey: { type: "apiKey", in: "header", name: "Authorization" },
      "X-Machhub-Api-Key": { type: "apiKey", in: "header", name: "X-Machhub-Api-Key" },
      jwt: { type: "apiKey", in: "cookie", name: "jwt" }
    })
    const schemes = (operation: Operation | undefined) => (operation?.security ?? []).flatMap((requirement) => Object.keys(requirement)).sort()
    // SSH routes: tokens and the jwt cookie, never API keys.
    expect(schemes(document.paths["/api/v1/machines"]?.["get"])).toEqual(["bearer", "jwt"])
    expect(schemes(document.paths["/api/users"]?.["get"])).toEqual(["X-Machhub-Api-Key", "apikey", "bearer"])
    expect(document.paths["/api/users"]?.["get"]?.description).toContain("users:read:self")
    // Records: anonymous callers allowed (an empty requirement is one of the choices).
    expect(document.paths["/machhub/{table}"]?.["post"]?.security).toContainEqual({})
    expect(document.paths["/healthz"]?.["get"]?.security).toEqual([])
  })

  it("describes request bodies and answers from the declared schemas", () => {
    const createUser = document.paths["/api/users"]?.["post"]
    expect(createUser?.requestBody?.content["application/json"]?.schema).toMatchObject({
      type: "object",
      required: expect.arrayContaining(["username", "password"]),
      properties: { username: { type: "string" }, password: { type: "string" } }
    })
    expect(Object.keys(createUser?.responses ?? {})).toEqual(expect.arrayContaining(["201", "400", "401", "403", "429"]))
    // SSH routes document their errors in the envelope.
    expect(document.paths["/api/v1/machine/{id}"]?.["get"]?.responses["404"]).toMatchObject({
      content: { "application/json": { schema: { properties: { data: { type: "null" } } } } }
    })
  })

  it("renders the document at /docs with a viewer served by this server, whose files answer 200", async () => {
    const page = await fetch(`${server.url}/docs`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toMatch(/^text\/html/)
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)
    expect(assets.length).toBe(3)
    for (const asset of assets) {
      // Same origin: a path on this server, never another host.
      expect(asset).toMatch(/^\/docs\//)
      const response = await fetch(`${server.url}${asset}`)
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toMatch(asset.endsWith(".css") ? /^text\/css/ : /^text\/javascript/)
      expect(response.headers.get("cache-control")).toContain("immutable")
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0)
    }
    const init = await (await fetch(`${server.url}${assets.find((asset) => asset.endsWith("docs.js"))!}`)).text()
    expect(init).toContain('"/openapi.json"')
  })
})
