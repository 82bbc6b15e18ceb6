import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

describe("collections data plane: listing, filters, paging (SPEC §6)", () => {
  let server: TestServer
  let acme: Api
  let admin: Api
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    await admin.json("POST", "/api/domains", { name: "acme" })
    acme = admin.inDomain("acme")
    const machines = [
      { name: "lathe", rpm: 1200, active: true, since: "2024-01-10", site: { city: "Oslo" } },
      { name: "mill", rpm: 800, active: false, since: "2023-05-01T08:00:00Z", site: { city: "Bergen" } },
      { name: "press", rpm: 60, active: true, since: "2025-03-03", site: { city: "Oslo" } },
      { name: "saw", rpm: "fast", active: true },
      { name: "drill", rpm: 3000.5, active: false, since: "not a date" }
    ]
    for (const machine of machines) ids[machine.name] = (await acme.json("POST", "/machhub/machines", machine)).body.id
    await acme.json("POST", "/machhub/jobs", { title: "service lathe", machine: ids["lathe"] })
  })
  afterAll(() => server.dispose())

  const names = async (query: string, as: Api = acme) => {
    const response = await as.json("GET", `/machhub/machines/all${query}`)
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    return (response.body as Array<{ name: string }>).map((r) => r.name)
  }

  it("lists records as a bare array, every record with id and _meta", async () => {
    const all = await acme.json("GET", "/machhub/machines/all")
    expect(Array.isArray(all.body)).toBe(true)
    expect(all.body).toHaveLength(5)
    expect(all.body[0]).toMatchObject({ id: expect.stringMatching(/^acme\.machines:/), _meta: { version: 1, creator: expect.stringMatching(/^user:/) } })
    expect((await acme.json("GET", "/machhub/machines/count")).body).toEqual({ count: 5 })
    expect((await acme.json("GET", "/machhub/nothing_yet/all")).body).toEqual([])
  })

  it("filters by every operator and its alias, typed", async () => {
    const q = (s: string) => names(`?${s}&sort=[name][asc]`)
    expect(await q("filter[rpm][gt][number]=100")).toEqual(["drill", "lathe", "mill"])
    expect(await q(`filter[rpm][${encodeURIComponent(">")}][number]=100`)).toEqual(["drill", "lathe", "mill"])
    expect(await q("filter[rpm][gte][number]=800&filter[rpm][lte][number]=1200")).toEqual(["lathe", "mill"])
    expect(await q("filter[rpm][lt][number]=100")).toEqual(["press"])
    expect(await q("filter[rpm][eq][string]=fast")).toEqual(["saw"])
    expect(await q("filter[rpm][ne][string]=fast")).toEqual(["drill", "lathe", "mill", "press"])
    expect(await q("filter[active][eq][boolean]=false")).toEqual(["drill", "mill"])
    expect(await q(`filter[active][${encodeURIComponent("=")}][boolean]=true`)).toEqual(["lathe", "press", "saw"])
    expect(await q("filter[name][contains][string]=ll")).toEqual(["drill", "mill"])
    expect(await q("filter[name][CONTAINS][string]=ll")).toEqual(["drill", "mill"])
    expect(await q("filter[name][in][string]=saw,mill,nope")).toEqual(["mill", "saw"])
    expect(await q("filter[since][gt][date]=2024-01-01")).toEqual(["lathe", "press"])
    expect(await q("filter[site.city][eq][string]=Oslo")).toEqual(["lathe", "press"])
    expect(await q(`filter[id][eq][string]=${encodeURIComponent(ids["mill"]!)}`)).toEqual(["mill"])
  })

  it("sorts (repeatable), pages with limit and offset, projects fields and expands references", async () => {
    expect(await names("?sort=[active][desc]&sort=[name][asc]")).toEqual(["lathe", "press", "saw", "drill", "mill"])
    expect(await names("?sort=[name][asc]&limit=2&offset=1")).toEqual(["lathe", "mill"])
    expect(await names("?limit=0")).toEqual([])
    const projected = await acme.json("GET", "/machhub/machines/all?fields=name&sort=[name][asc]&limit=1")
    expect(projected.body).toEqual([{ name: "drill", id: ids["drill"], _meta: expect.any(Object) }])
    const expanded = await acme.json("GET", "/machhub/jobs/all?expand=machine")
    expect(expanded.body[0].machine).toMatchObject({ name: "lathe", id: ids["lathe"] })
  })

  it("answers 400 naming the problem for unknown ops, types, bad values and absurd paging", async () => {
    for (const query of [
      "filter[rpm][like][number]=1",
      "filter[rpm][gt][integer]=1",
      "filter[rpm][gt][number]=abc",
      "filter[active][eq][boolean]=yes",
      "filter[since][gt][date]=yesterday",
      "filter[name][contains][number]=1",
      "limit=5000",
      "limit=-1",
      "offset=abc",
      "sort=[name][sideways]",
      "filter[a') OR 1=1 --][eq][string]=x",
      "filter[$.a][eq][string]=x",
      "bogus=1"
    ]) {
      const response = await acme.json("GET", `/machhub/machines/all?${query}`)
      expect(response.status, query).toBe(400)
      expect(typeof response.body).toBe("string")
    }
  })

  it("lists only the caller's own records for a self-scope caller, and never another domain's", async () => {
    const sam = await seedDomainUser(admin, { domain: "acme", username: "sam", group: "self-writers", permissions: [{ feature: "collections", action: "read-write", scope: "self" }] })
    await sam.api.json("POST", "/machhub/machines", { name: "sam-bot" })
    expect(await names("", sam.api)).toEqual(["sam-bot"])
    expect((await sam.api.json("GET", "/machhub/machines/count")).body).toEqual({ count: 1 })
    const gus = await seedDomainUser(admin, { domain: "globex", username: "gus", group: "all", permissions: [{ feature: "collections", action: "read-write", scope: "domain" }] })
    expect(await names("", gus.api)).toEqual([])
  })

  it("never serves a cached page after the collection changed", async () => {
    const page = "?sort=[name][asc]&limit=3"
    const before = await names(page)
    await names(page) // now cached
    const added = await acme.json("POST", "/machhub/machines", { name: "aaa-first" })
    expect(await names(page)).toEqual(["aaa-first", ...before.slice(0, 2)])
    await acme.json("PUT", `/machhub/${added.body.id}`, { name: "zzz-last" })
    expect(await names(page)).toEqual(before)
    await acme.json("DELETE", `/machhub/${added.body.id}`)
    expect(await names(page)).toEqual(before)
  })

  it("shows a caller its own writes at once, under concurrent load", async () => {
    const writes = await Promise.all(Array.from({ length: 100 }, (_, i) => acme.json("POST", "/machhub/ryw", { n: i })))
    expect(writes.every((w) => w.status === 201)).toBe(true)
    expect((await acme.json("GET", "/machhub/ryw/count")).body).toEqual({ count: 100 })
    const updates = await Promise.all(writes.map((w, i) => acme.json("PUT", `/machhub/${w.body.id}`, { n: i + 1000 })))
    for (const [i, update] of updates.entries()) {
      const read = await acme.json("GET", `/machhub/${update.body.id}`)
      expect(read.body.n).toBe(i + 1000)
    }
  })
})
