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
      "filter[name][~][number]=1",
      "filter[name][IN][bigint]=1",
      "filter[name][=][object]=a,b",
      "filter[name][%3F%3D][string]=x",
      "filter_or[x][name][=][string]=a",
      "filter[name][ARRAY_WHERE_=][string]=a",
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

  describe("MACHHUB SDK list queries (SPEC §6a): filter_or, ARRAY_WHERE, SurrealDB operators, typeof types", () => {
    /** The query string exactly as the SDK builds it: URLSearchParams.append of `filter[f][op][typeof v]` = String(v). */
    const sdkQuery = (entries: ReadonlyArray<readonly [string, unknown]>): string => {
      const params = new URLSearchParams()
      for (const [key, value] of entries) params.append(key, String(value))
      return params.toString()
    }
    const filter = (field: string, op: string, value: unknown) => [`filter[${field}][${op}][${typeof value}]`, value] as const
    const orFilter = (i: number, field: string, op: string, value: unknown) => [`filter_or[${i}][${field}][${op}][${typeof value}]`, value] as const
    const parts = async (entries: ReadonlyArray<readonly [string, unknown]>) => {
      const response = await acme.json("GET", `/machhub/parts/all?${sdkQuery([...entries, ["sort", "[name][asc]"]])}`)
      expect(response.status, JSON.stringify(response.body)).toBe(200)
      return (response.body as Array<{ name: string }>).map((r) => r.name)
    }
    const count = async (entries: ReadonlyArray<readonly [string, unknown]>) =>
      (await acme.json("GET", `/machhub/parts/count?${sdkQuery(entries)}`)).body.count as number

    beforeAll(async () => {
      const category = (await acme.json("POST", "/machhub/categories", { name: "tools" })).body.id as string
      const [table, id] = [category.slice(0, category.indexOf(":")), category.slice(category.indexOf(":") + 1)]
      for (const part of [
        { name: "bolt", state: "open", qty: 5, tags: ["steel", "m8"], note: "CNC-Mill #4 ready", lines: [{ item: "acme.items:1", qty: 2 }, { item: "acme.items:2", qty: 9 }], category: { Table: table, ID: id } },
        { name: "gear", state: "pending", qty: 0, tags: ["brass"], note: "lathe only", lines: [{ item: "acme.items:2", qty: 1 }], category },
        { name: "nut", state: "closed", qty: 12, tags: ["steel", 8], note: "MILLING queue", lines: [] },
        { name: "washer", state: "open", qty: 3, tags: "steel", note: "milled", lines: [{ item: "acme.items:3" }, "loose"] }
      ]) expect((await acme.json("POST", "/machhub/parts", part)).status).toBe(201)
    })

    it("ORs the orFilters (one index each, as the SDK numbers them) and ANDs them with the filters", async () => {
      expect(await parts([orFilter(0, "state", "=", "open"), orFilter(1, "state", "=", "pending")])).toEqual(["bolt", "gear", "washer"])
      expect(await parts([filter("qty", ">", 1), orFilter(0, "state", "=", "open"), orFilter(1, "state", "=", "pending")])).toEqual(["bolt", "washer"])
      expect(await count([filter("qty", ">", 1), orFilter(0, "state", "=", "open"), orFilter(1, "state", "=", "pending")])).toBe(2)
      // entries sharing an index form one AND group: (open AND qty > 4) OR closed
      expect(await parts([orFilter(0, "state", "=", "open"), orFilter(0, "qty", ">", 4), orFilter(1, "state", "=", "closed")])).toEqual(["bolt", "nut"])
      // an ARRAY_WHERE entry in an OR group, as orFilterInArray writes it
      expect(await parts([orFilter(0, "state", "=", "closed"), [`filter_or[1][lines.item][ARRAY_WHERE_=][string]`, "acme.items:3"]])).toEqual(["nut", "washer"])
    })

    it("CONTAINS on an array field holds the element; on a string it is a substring", async () => {
      expect(await parts([filter("tags", "CONTAINS", "steel")])).toEqual(["bolt", "nut", "washer"])
      expect(await parts([filter("tags", "CONTAINS", 8)])).toEqual(["nut"])
      expect(await parts([filter("tags", "CONTAINSNOT", "steel")])).toEqual(["gear"])
      expect(await parts([filter("tags", "CONTAINSANY", ["brass", "m8"])])).toEqual(["bolt", "gear"])
      expect(await parts([filter("tags", "CONTAINSALL", ["steel", "m8"])])).toEqual(["bolt"])
      expect(await parts([filter("tags", "CONTAINSNONE", ["steel", "m8"])])).toEqual(["gear"])
      // an untyped list (typeof [] is "object"): "8" equals the string "8" and the number 8
      expect(await parts([filter("tags", "CONTAINSANY", ["8"])])).toEqual(["nut"])
    })

    it("INSIDE / IN / NOT IN and the array forms ALLINSIDE, ANYINSIDE, NONEINSIDE", async () => {
      expect(await parts([filter("state", "IN", ["open", "closed"])])).toEqual(["bolt", "nut", "washer"])
      expect(await parts([filter("state", "INSIDE", ["pending"])])).toEqual(["gear"])
      expect(await parts([filter("state", "NOT IN", ["open", "closed"])])).toEqual(["gear"])
      expect(await parts([filter("qty", "NOTINSIDE", [0, 5])])).toEqual(["nut", "washer"])
      expect(await parts([filter("tags", "ALLINSIDE", ["steel", "m8", "brass"])])).toEqual(["bolt", "gear"])
      expect(await parts([filter("tags", "ANYINSIDE", ["m8", "x"])])).toEqual(["bolt"])
      // NONEINSIDE is exactly NOT ANYINSIDE: washer's tags is a string, not an array, so it qualifies
      expect(await parts([filter("tags", "NONEINSIDE", ["steel"])])).toEqual(["gear", "washer"])
    })

    it("~ and !~ ignore ASCII case; @@ matches whole words", async () => {
      expect(await parts([filter("note", "~", "mill")])).toEqual(["bolt", "nut", "washer"])
      expect(await parts([filter("note", "!~", "MILL")])).toEqual(["gear"])
      expect(await parts([filter("note", "@@", "mill")])).toEqual(["bolt"])
      expect(await parts([filter("note", "@@", "cnc READY")])).toEqual(["bolt"])
      expect(await parts([filter("note", "@@", "mill lathe")])).toEqual([])
      expect(await parts([filter("qty", "==", 0)])).toEqual(["gear"])
    })

    it("filterInArray: some element of the array satisfies the sub-field condition", async () => {
      const inArray = (array: string, sub: string, op: string, value: unknown) => [`filter[${array}.${sub}][ARRAY_WHERE_${op}][${typeof value}]`, value] as const
      expect(await parts([inArray("lines", "item", "=", "acme.items:2")])).toEqual(["bolt", "gear"])
      expect(await parts([inArray("lines", "item", "=", "acme.items:2"), inArray("lines", "qty", ">", 5)])).toEqual(["bolt"])
      expect(await parts([inArray("lines", "qty", "<", 2)])).toEqual(["gear"])
      expect(await parts([inArray("lines", "item", "IN", ["acme.items:1", "acme.items:3"])])).toEqual(["bolt", "washer"])
      expect(await parts([inArray("lines", "item", "CONTAINS", "items:3")])).toEqual(["washer"])
      // an element without the sub-field (the string "loose", the line without qty) is != anything
      expect(await parts([inArray("lines", "qty", "!=", 2)])).toEqual(["bolt", "gear", "washer"])
    })

    it("answers 400 naming what is wrong", async () => {
      for (const [entries, message] of [
        [[filter("state", "?=", "x")], /operator "\?=" is not supported/],
        [[filter("state", "@1@", "x")], /operator "@1@" is not supported/],
        [[filter("state", "LIKE", "x")], /unknown operator "LIKE"/],
        [[filter("state", "=", ["a"])], /type object carries a comma-separated list/],
        [[filter("state", "=", undefined)], /unknown type "undefined"/],
        [[filter("qty", "IN", [1]), ["filter[qty][IN][number]", "1,x"]], /"x" is not a finite decimal number/],
        [[filter("note", "@@", "--")], /@@ needs at least one word/]
      ] as const) {
        const response = await acme.json("GET", `/machhub/parts/all?${sdkQuery(entries)}`)
        expect(response.status, JSON.stringify(entries)).toBe(400)
        expect(response.body).toMatch(message)
      }
    })

    it("expand follows a relation written as { Table, ID } or as the id string", async () => {
      const expanded = await acme.json("GET", `/machhub/parts/all?${sdkQuery([filter("name", "IN", ["bolt", "gear"]), ["expand", "category"], ["sort", "[name][asc]"]])}`)
      expect(expanded.status).toBe(200)
      expect(expanded.body.map((p: { category: { name: string } }) => p.category.name)).toEqual(["tools", "tools"])
    })

    it("expand works on a one-record read too (the SDK's getOne), and a bad expand is 400", async () => {
      const [bolt] = (await acme.json("GET", `/machhub/parts/all?${sdkQuery([filter("name", "=", "bolt")])}`)).body as Array<{ id: string }>
      const one = await acme.json("GET", `/machhub/${encodeURIComponent(bolt!.id)}?expand=category`)
      expect(one.status).toBe(200)
      expect(one.body.category).toMatchObject({ name: "tools" })
      const plain = await acme.json("GET", `/machhub/${encodeURIComponent(bolt!.id)}`)
      expect(plain.body.category).toHaveProperty("Table")
      const bad = await acme.json("GET", `/machhub/${encodeURIComponent(bolt!.id)}?expand=_meta.creator`)
      expect(bad.status).toBe(400)
      expect(bad.body).toMatch(/expand/)
    })
  })
})
