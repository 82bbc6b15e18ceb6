import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { adminApi, api, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })

const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
  for (const started = Date.now(); ; ) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() - started > 10_000) throw new Error(`never: ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("API key use (KeyUsed, lastUsedAt)", () => {
  let server: TestServer
  let carol: Api
  beforeAll(async () => {
    server = await startTestServer()
    const admin = await adminApi(server.url)
    carol = (await seedDomainUser(admin, {
      domain: "acme",
      username: "carol",
      group: "keyholders",
      permissions: [perm("api_keys", "read-write", "self"), perm("collections", "read", "domain")]
    })).api
  })
  afterAll(() => server?.dispose())

  const usesOf = async (keyId: string): Promise<Array<RecordedEvent>> =>
    (await Effect.runPromise(server.store.readAll(1, 1_000_000))).filter((e) => e.type === "KeyUsed" && e.stream === `apikeyuse-acme-${keyId}`)

  it("records the first use of a minute, once, and shows it as lastUsedAt without changing the key's version", async () => {
    const generated = await carol.json("POST", "/api/api-key/generate", { name: "poller", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(generated.status).toBe(200)
    const { id, token } = generated.body as { id: string; token: string }
    const before = (await carol.json("GET", `/api/api-key/${id}`)).body
    expect(before.lastUsedAt).toBeNull()
    expect((await carol.json("GET", "/api/api-key/get-all")).body.find((k: { id: string }) => k.id === id).lastUsedAt).toBeNull()

    const key = api(server.url, token, "acme", "x-api-key")
    const firstAt = Date.now()
    for (let i = 0; i < 25; i++) expect((await key.json("GET", `/api/me?probe=sensitive-${i}`)).status).toBe(200)
    const lastAt = Date.now()

    const listed = await eventually(
      async () => (await carol.json("GET", "/api/api-key/get-all")).body.find((k: { id: string }) => k.id === id),
      (row) => row.lastUsedAt !== null,
      "lastUsedAt in get-all"
    )
    const usedAt = Date.parse(listed.lastUsedAt)
    expect(usedAt).toBeGreaterThanOrEqual(firstAt - 1000)
    expect(usedAt).toBeLessThanOrEqual(lastAt + 1000)
    const one = (await carol.json("GET", `/api/api-key/${id}`)).body
    expect(one.lastUsedAt).toBe(listed.lastUsedAt)
    // Using a key does not change it: same version (ETag), same updatedAt, so If-Match still holds.
    expect(one.version).toBe(before.version)
    expect(one.updatedAt).toBe(before.updatedAt)

    // 25 requests within a minute: one event, on the key's use stream, naming the route (no query).
    const uses = await usesOf(id)
    expect(uses).toHaveLength(1)
    expect(uses[0]!.meta.actor).toEqual({ kind: "key", id })
    expect(uses[0]!.data).toMatchObject({ keyId: id, route: "GET /api/me", at: listed.lastUsedAt })
    expect(JSON.stringify(uses[0])).not.toContain("sensitive")

    // As of a moment, the key shows the last use recorded by then.
    const issuedAt = Number(generated.headers.get("app-event-position"))
    expect((await carol.json("GET", `/api/api-key/${id}?asOf=${issuedAt}`)).body).toMatchObject({ id, lastUsedAt: null })
    expect((await carol.json("GET", `/api/api-key/${id}?asOf=${uses[0]!.position}`)).body).toMatchObject({ id, lastUsedAt: listed.lastUsedAt })

    for (let i = 0; i < 5; i++) await key.json("GET", "/api/me")
    expect(await usesOf(id)).toHaveLength(1)
    const renamed = await carol.json("PATCH", `/api/api-key/${id}`, { name: "poller-2" }, { "if-match": `"${before.version}"` })
    expect(renamed.status).toBe(200)
  })

  it("records nothing for a refused key, and each key on its own", async () => {
    const a = (await carol.json("POST", "/api/api-key/generate", { name: "a", features: [{ name: "collections", action: "read", scope: "domain" }] })).body
    const b = (await carol.json("POST", "/api/api-key/generate", { name: "b", features: [{ name: "collections", action: "read", scope: "domain" }] })).body
    expect((await carol.json("DELETE", `/api/api-key/${b.id}`)).status).toBe(200)
    expect((await api(server.url, b.token, "acme", "x-api-key").json("GET", "/api/me")).status).toBe(401)
    expect((await api(server.url, a.token, "acme", "x-api-key").json("GET", "/api/me")).status).toBe(200)
    await eventually(() => usesOf(a.id), (uses) => uses.length === 1, "a's use recorded")
    expect(await usesOf(b.id)).toEqual([])
    expect((await carol.json("GET", `/api/api-key/${b.id}`)).body.lastUsedAt).toBeNull()
  })
})
