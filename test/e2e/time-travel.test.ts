import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { createMachine, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const position = (response: { headers: Headers }) => Number(response.headers.get("app-event-position"))

/** An instant strictly between what came before and what comes after (event times are ms). */
const instant = async (): Promise<string> => {
  await sleep(5)
  const at = new Date().toISOString()
  await sleep(5)
  return at
}

describe("time travel: ?asOf=<position|time> on reads (SPEC §10)", () => {
  let server: TestServer
  let admin: Api
  let wendy: Api
  let walt: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    const writers = [{ feature: "collections", action: "read-write", scope: "self" }, { feature: "machines", action: "read-write", scope: "self" }]
    wendy = (await seedDomainUser(admin, { domain: "acme", username: "wendy", group: "writers", permissions: writers })).api
    walt = (await seedDomainUser(admin, { domain: "acme", username: "walt", group: "writers" })).api
  })
  afterAll(() => server.dispose())

  it("answers a record as it was at a position or an instant, in the shape of a present read, even after its deletion", async () => {
    const created = await wendy.json("POST", "/machhub/products", { name: "drill", price: 10 })
    const id = created.body.id as string
    const p1 = position(created)
    const t1 = await instant()
    const p2 = position(await wendy.json("PUT", `/machhub/${id}`, { price: 12 }))
    const p3 = position(await wendy.json("PUT", `/machhub/${id}`, { name: "hammer drill" }))
    const present = await wendy.json("GET", `/machhub/${id}`)
    const p4 = position(await wendy.json("DELETE", `/machhub/${id}`))
    expect((await wendy.json("GET", `/machhub/${id}`)).status).toBe(404)

    const at = async (asOf: string | number) => wendy.json("GET", `/machhub/${id}?asOf=${encodeURIComponent(String(asOf))}`)
    expect((await at(p1)).body).toMatchObject({ name: "drill", price: 10, id, _meta: { version: 1 } })
    expect((await at(p1)).headers.get("app-event-position")).toBe(String(p1))
    expect((await at(t1)).body).toMatchObject({ name: "drill", price: 10 })
    expect((await at(p2)).body).toMatchObject({ name: "drill", price: 12, _meta: { version: 2 } })
    // Just before the deletion it is exactly what a present read answered then.
    expect((await at(p4 - 1)).body).toEqual(present.body)
    expect((await at(p3)).body).toEqual(present.body)
    const gone = await at(p4)
    expect(gone.status).toBe(404)
    expect(gone.body).toMatch(/as of position/)
    expect((await at(p1 - 1)).status).toBe(404) // before it existed
    expect((await at("2000-01-01")).status).toBe(404)
    expect((await at(new Date(Date.now() + 60_000).toISOString())).status).toBe(404) // deleted by now
  })

  it("refuses a bad asOf with 400 on every read that takes it", async () => {
    const created = await wendy.json("POST", "/machhub/products", { name: "saw" })
    const me = (await wendy.json("GET", "/api/me")).body.id as string
    for (const bad of ["-1", "yesterday", "1.5", "2025-01-01T10:00:00", "2025-13-45"]) {
      const q = `asOf=${encodeURIComponent(bad)}`
      expect((await wendy.json("GET", `/machhub/${created.body.id}?${q}`)).status, bad).toBe(400)
      expect((await admin.inDomain("acme").json("GET", `/api/users/${me}?${q}`)).status, bad).toBe(400)
      expect((await wendy.json("GET", `/api/v1/machine/1?${q}`)).status, bad).toBe(400)
    }
    const twice = await wendy.json("GET", `/machhub/${created.body.id}?asOf=1&asOf=2`)
    expect(twice.status).toBe(400)
  })

  it("keeps a self-scope caller to its own records in the past too", async () => {
    const created = await wendy.json("POST", "/machhub/tools", { name: "mine" })
    const p = position(created)
    expect((await walt.json("GET", `/machhub/${created.body.id}`)).status).toBe(404)
    expect((await walt.json("GET", `/machhub/${created.body.id}?asOf=${p}`)).status).toBe(404)
    expect((await admin.inDomain("acme").json("GET", `/machhub/${created.body.id}?asOf=${p}`)).status).toBe(200)
  })

  it("answers a user as it was: memberships and disabled then", async () => {
    const acme = admin.inDomain("acme")
    expect((await acme.json("POST", "/api/groups", { name: "viewers", permissions: [] })).status).toBe(201)
    const created = await acme.json("POST", "/api/users", { username: "vera", password: "vera-password-1" })
    const id = created.body.id as string
    const p1 = position(created)
    const p2 = position(await acme.json("PATCH", `/api/users/${id}`, { groups: ["viewers"] }))
    const t2 = await instant()
    const p3 = position(await acme.json("POST", `/api/users/${id}/disable`))
    const at = (asOf: string | number) => acme.json("GET", `/api/users/${id}?asOf=${encodeURIComponent(String(asOf))}`)
    expect((await at(p1)).body).toMatchObject({ id, username: "vera", groups: [], disabled: false })
    expect((await at(p2)).body).toMatchObject({ groups: ["viewers"], disabled: false })
    expect((await at(t2)).body).toMatchObject({ groups: ["viewers"], disabled: false })
    expect((await at(p3)).body).toMatchObject({ groups: ["viewers"], disabled: true })
    // As of now it is the present view, field for field.
    expect((await at(p3)).body).toEqual((await acme.json("GET", `/api/users/${id}`)).body)
    expect((await at(p1 - 1)).status).toBe(404)
  })

  it("answers an API key as it was: grants and status then, never its secret", async () => {
    const acme = admin.inDomain("acme")
    const issued = await acme.json("POST", "/api/api-key/generate", { name: "exporter", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(issued.status).toBe(200)
    const id = issued.body.id as string
    const p1 = position(issued)
    const p2 = position(await acme.json("POST", `/api/api-key/${id}/suspend`, { reason: "scraping" }))
    const p3 = position(await acme.json("PATCH", `/api/api-key/${id}`, { name: "renamed" }))
    const p4 = position(await acme.json("POST", `/api/api-key/${id}/resume`))
    const at = (p: number) => acme.json("GET", `/api/api-key/${id}?asOf=${p}`)
    expect((await at(p1)).body).toMatchObject({ id, name: "exporter", status: "active", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect((await at(p2)).body).toMatchObject({ name: "exporter", status: "suspended", suspendReason: "scraping" })
    expect((await at(p3)).body).toMatchObject({ name: "renamed", status: "suspended" })
    expect((await at(p4)).body).toEqual((await acme.json("GET", `/api/api-key/${id}`)).body)
    expect(JSON.stringify((await at(p1)).body)).not.toContain(issued.body.token)
    expect((await at(p1 - 1)).status).toBe(404)
  })

  it("answers a machine as it was, to its owner only, even after it was deleted", async () => {
    const id = await createMachine(wendy, machineBody(22))
    const registered = (await wendy.json("GET", `/api/v1/machine/${id}`)).body
    const deleted = await wendy.json("DELETE", `/api/v1/machine/${id}`)
    expect(deleted.status).toBe(200)
    const p2 = position(deleted)
    expect((await wendy.json("GET", `/api/v1/machine/${id}`)).status).toBe(404)
    const before = await wendy.json("GET", `/api/v1/machine/${id}?asOf=${p2 - 1}`)
    expect(before.status).toBe(200)
    expect(before.body).toEqual(registered)
    const after = await wendy.json("GET", `/api/v1/machine/${id}?asOf=${p2}`)
    expect(after.status).toBe(404)
    expect(after.body).toMatchObject({ status: "Not Found", data: null })
    // Anyone but the owner gets the same 404 as for a machine that never existed, then or now.
    expect((await walt.json("GET", `/api/v1/machine/${id}?asOf=${p2 - 1}`)).status).toBe(404)
    expect((await admin.inDomain("acme").json("GET", `/api/v1/machine/${id}?asOf=${p2 - 1}`)).status).toBe(404)
  })
})
