import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { makeRateLimit } from "../../apps/server/src/graphql/rateLimit.js"
import { openHistorianStore } from "../../apps/server/src/tags/values/HistorianStore.js"
import { tempDir } from "../support/temp.js"

const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })
const GQL = "application/graphql-response+json"

describe("POST /graphql: MachineMetrics' read-only schema, limits and permissions", () => {
  let server: TestServer
  let admin: Api
  let reporter: Api

  const gql = (api: Api, query: string, extra: Record<string, unknown> = {}, accept = GQL) =>
    api.json("POST", "/graphql", { query, ...extra }, { accept })

  beforeAll(async () => {
    server = await startTestServer()
    const root = await adminApi(server.url)
    admin = root.inDomain("plant")
    await root.json("POST", "/api/domains", { name: "plant" })
    for (const topic of ["m1/execution", "m1/parts", "m1/alarm", "m2/execution", "m2/parts"]) {
      const tag = await admin.json("PUT", `/api/tags/${topic}`, { access: "RW", historize: { type: "event" } })
      if (tag.status !== 200) throw new Error(`tag ${topic}: ${tag.status}`)
    }
    await admin.json("POST", "/api/reporting/machines", { name: "M1", group: "Mills", tags: { execution: "m1/execution", partCount: "m1/parts", alarm: "m1/alarm" }, idealCycleSeconds: 60 })
    await admin.json("POST", "/api/reporting/machines", { name: "M2", group: "Lathes", tags: { execution: "m2/execution", partCount: "m2/parts" } })
    const t0 = Date.parse("2026-01-10T10:00:00Z")
    await admin.json("POST", "/machhub/tag/batch", [
      { topic: "m1/execution", value: "ACTIVE", timestamp: t0 },
      { topic: "m1/execution", value: "STOPPED", timestamp: t0 + 30 * 60_000 },
      { topic: "m1/execution", value: "UNAVAILABLE", timestamp: t0 + 60 * 60_000 },
      { topic: "m1/parts", value: 0, timestamp: t0 },
      { topic: "m1/parts", value: 30, timestamp: t0 + 30 * 60_000 },
      { topic: "m1/alarm", value: { nativeCode: "E42", label: "Spindle", description: "Spindle overload" }, timestamp: t0 + 31 * 60_000 },
      { topic: "m2/execution", value: "READY", timestamp: t0 }
    ])
    reporter = (await seedDomainUser(root, {
      domain: "plant", username: "reporter", group: "reporters",
      permissions: [perm("reports", "read", "domain"), perm("machines", "read", "domain")]
    })).api
  })
  afterAll(() => server.dispose())

  it("answers machines with their current states, alarms and production", async () => {
    const answer = await gql(reporter, `{
      machines(where: { group: { _eq: "Mills" } }) {
        name group
        currentStates(where: { metricKey: { _in: ["execution", "partCount"] } }) { metricKey value timestamp }
        currentAlarms { nativeCode label description }
        production(start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z") { totalParts timeInCycle utilizationRate performance }
      }
    }`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get("content-type")).toMatch(/^application\/graphql-response\+json/)
    expect(answer.body).toEqual({
      data: {
        machines: [{
          name: "M1",
          group: "Mills",
          currentStates: [
            { metricKey: "execution", value: "UNAVAILABLE", timestamp: "2026-01-10T11:00:00.000Z" },
            { metricKey: "partCount", value: 30, timestamp: "2026-01-10T10:30:00.000Z" }
          ],
          currentAlarms: [{ nativeCode: "E42", label: "Spindle", description: "Spindle overload" }],
          production: { totalParts: 30, timeInCycle: 30 * 60_000, utilizationRate: 0.5, performance: 1 }
        }]
      }
    })
  })

  it("filters, orders, pages and groups lists", async () => {
    const answer = await gql(reporter, `query Q($like: String) {
      all: machines(order_by: [{ name: desc }]) { name }
      paged: machines(order_by: [{ name: asc }], offset: 1, limit: 1) { name }
      liked: machines(where: { _or: [{ name: { _like: $like } }, { group: { _is_null: true } }] }) { name }
      machineGroups(order_by: [{ name: asc }]) { name machines { name } }
    }`, { variables: { like: "%2" } })
    expect(answer.body.data).toEqual({
      all: [{ name: "M2" }, { name: "M1" }],
      paged: [{ name: "M2" }],
      liked: [{ name: "M2" }],
      machineGroups: [{ name: "Lathes", machines: [{ name: "M2" }] }, { name: "Mills", machines: [{ name: "M1" }] }]
    })
  })

  it("refuses a depth-4 query and a 6-list query before running them (no data key)", async () => {
    const deep = await gql(reporter, "{ machineGroups { machines { currentStates { value } } } }")
    expect(deep.status).toBe(400)
    expect(deep.body).not.toHaveProperty("data")
    expect(deep.body.errors[0].extensions.code).toBe("DEPTH_LIMIT_EXCEEDED")

    const wide = await gql(reporter, "{ a: machines { name } b: machines { name } c: machines { name } d: tags { topic } e: machineGroups { name } f: machines { name } }")
    expect(wide.status).toBe(400)
    expect(wide.body).not.toHaveProperty("data")
    expect(wide.body.errors[0].extensions.code).toBe("NODE_LIMIT_EXCEEDED")

    // The same refusal as application/json is a 200 (GraphQL over HTTP), still without data.
    const legacy = await gql(reporter, "{ machineGroups { machines { currentStates { value } } } }", {}, "application/json")
    expect(legacy.status).toBe(200)
    expect(legacy.body).not.toHaveProperty("data")
    // Five lists at depth 3 is within the limits.
    expect((await gql(reporter, "{ machines { currentStates { value } currentAlarms { label } } machineGroups { name } m: machines { name } }")).body.errors).toBeUndefined()
  })

  it("refuses mutations, subscriptions, bad documents and bad requests with GraphQL errors", async () => {
    const mutation = await gql(reporter, "mutation { machines { name } }")
    expect(mutation.status).toBe(400)
    expect(mutation.body).not.toHaveProperty("data")
    const unknownField = await gql(reporter, "{ machines { serial } }")
    expect(unknownField.status).toBe(400)
    expect(unknownField.body.errors[0].message).toMatch(/serial/)
    expect((await gql(reporter, "{ machines { name }")).status).toBe(400)
    const notJson = await fetch(`${server.url}/graphql`, { method: "POST", headers: { authorization: `Bearer ${reporter.token}`, domain: "domains:plant", "content-type": "application/json" }, body: "{" })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(/not JSON/)
    expect((await reporter.json("POST", "/graphql", { nope: 1 })).status).toBe(400)
  })

  it("keeps results within the caller's domain and permissions", async () => {
    const root = await adminApi(server.url)
    // reports:read without tags:read: the tags field errs, machines answer.
    const partial = await gql(reporter, "{ machines { name } tags { topic } }")
    expect(partial.status).toBe(200)
    expect(partial.body.data).toEqual({ machines: [{ name: "M1" }, { name: "M2" }], tags: null })
    expect(partial.body.errors[0].message).toMatch(/tags:read:domain/)
    // No reports:read: the route refuses.
    const tagReader = await seedDomainUser(root, { domain: "plant", username: "tagger", group: "taggers", permissions: [perm("tags", "read", "domain")] })
    expect((await gql(tagReader.api, "{ tags { topic } }")).status).toBe(403)
    // Another domain sees none of plant's machines.
    const stranger = await seedDomainUser(root, { domain: "elsewhere", username: "stranger", group: "g", permissions: [perm("reports", "read", "domain"), perm("machines", "read", "domain")] })
    expect((await gql(stranger.api, "{ machines { name } }")).body).toEqual({ data: { machines: [] } })
  })

  it("answers a collection's records with the caller's collection access", async () => {
    for (const [name, qty] of [["bolt", 5], ["nut", 12], ["gear", 30]] as const) {
      const made = await admin.json("POST", "/machhub/parts", { name, qty })
      expect(made.status).toBe(201)
    }
    const query = '{ records(collection: "parts", where: { qty: { _gte: 10 } }, order_by: [{ qty: desc }]) }'
    const root = await adminApi(server.url)
    const reader = await seedDomainUser(root, {
      domain: "plant", username: "partsreader", group: "partsreaders",
      permissions: [perm("reports", "read", "domain"), perm("collections", "read", "domain")]
    })
    const answer = await gql(reader.api, query)
    expect(answer.status).toBe(200)
    expect(answer.body.data.records.map((r: { name: string; qty: number }) => [r.name, r.qty])).toEqual([["gear", 30], ["nut", 12]])
    // Without collections:read the field errs; another domain has no such records.
    const denied = await gql(reporter, query)
    expect(denied.body.data.records).toBeNull()
    expect(denied.body.errors[0].extensions.code).toBe("FORBIDDEN")
    const stranger = await seedDomainUser(root, { domain: "elsewhere", username: "partsstranger", group: "g2", permissions: [perm("reports", "read", "domain"), perm("collections", "read", "domain")] })
    expect((await gql(stranger.api, query)).body).toEqual({ data: { records: [] } })
    expect((await gql(reader.api, '{ records(collection: "parts", where: { name: { _like: "b%" } }) }')).body.errors[0].message).toMatch(/_like is not supported on records/)
  })

  it("answers machines defined or removed since the last query", async () => {
    const names = async () => ((await gql(reporter, "{ machines { name } }")).body.data.machines as Array<{ name: string }>).map((m) => m.name)
    expect(await names()).toEqual(["M1", "M2"])
    expect((await admin.json("POST", "/api/reporting/machines", { name: "M0", tags: { execution: "m2/execution", partCount: "m2/parts" } })).status).toBe(201)
    expect(await names()).toEqual(["M0", "M1", "M2"])
    expect((await admin.json("DELETE", "/api/reporting/machines/M0")).status).toBe(200)
    expect(await names()).toEqual(["M1", "M2"])
  })

  it("answers a GraphiQL page on GET /graphql whose scripts and styles this server serves", async () => {
    const page = await fetch(`${server.url}/graphql`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toMatch(/^text\/html/)
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets).toHaveLength(5)
    for (const asset of assets) {
      expect(asset.startsWith("/graphql/assets/"), asset).toBe(true)
      const file = await fetch(`${server.url}${asset}`)
      expect(file.status, asset).toBe(200)
      expect((await file.text()).length, asset).toBeGreaterThan(100)
    }
  })

  it("lets GraphiQL introspect the schema: introspection fields are outside the limits", async () => {
    const { getIntrospectionQuery } = await import("graphql")
    const answer = await gql(reporter, getIntrospectionQuery())
    expect(answer.status).toBe(200)
    expect(answer.body.errors).toBeUndefined()
    expect(answer.body.data.__schema.queryType.name).toBe("Query")
  })
})

describe("GraphQL rate limit", () => {
  it("takes 1,000 requests a minute per domain, then answers when the minute ends", () => {
    let now = Date.parse("2026-01-10T10:00:30Z")
    const rate = makeRateLimit(1000, () => now)
    for (let i = 0; i < 1000; i++) expect(rate.take("plant").ok).toBe(true)
    expect(rate.take("plant")).toEqual({ ok: false, retryAfterSeconds: 30 })
    expect(rate.take("other").ok).toBe(true)
    now += 30_000
    expect(rate.take("plant").ok).toBe(true)
  })
})

describe("GraphQL time limit", () => {
  let server: TestServer
  const dir = tempDir()
  const t0 = Date.parse("2026-01-01T00:00:00Z")

  beforeAll(async () => {
    // A machine whose month holds 1,000,000 execution points (written into historian.db before the
    // server starts, as fast as SQLite takes them): reading them takes seconds, far past a 200 ms
    // limit, while listing the machines takes a few milliseconds.
    const store = openHistorianStore(dir.path)
    const series = store.seriesOf("plant", "busy/execution")
    for (let batch = 0; batch < 100; batch++) {
      store.write(Array.from({ length: 10_000 }, (_, i) => {
        const n = batch * 10_000 + i
        return { series, ts: t0 + n * 1000, num: null, json: n % 2 === 0 ? '"ACTIVE"' : '"READY"', at: null, keepLatest: false }
      }), [])
    }
    store.close()
    server = await startTestServer({ dataDir: dir.path, graphqlTimeLimitMillis: 200 })
    const root = await adminApi(server.url)
    await root.json("POST", "/api/domains", { name: "plant" })
    const admin = root.inDomain("plant")
    for (const topic of ["busy/execution", "busy/parts"]) await admin.json("PUT", `/api/tags/${topic}`, { access: "RW", historize: { type: "event" } })
    await admin.json("POST", "/api/reporting/machines", { name: "Busy", tags: { execution: "busy/execution", partCount: "busy/parts" } })
  })
  afterAll(async () => {
    await server.dispose()
    dir.cleanup()
  })

  it("stops a query while a resolver runs: the report stops reading, and the answer holds TIMEOUT errors, not the data", async () => {
    const admin = (await adminApi(server.url)).inDomain("plant")
    const answer = await admin.json("POST", "/graphql", { query: '{ machines { name production(start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z") { timeInCycle } } }' }, { accept: GQL })
    // A query that ran (however far) is a 200 with the standard errors array.
    expect(answer.status).toBe(200)
    expect(answer.body.errors.length).toBeGreaterThan(0)
    for (const error of answer.body.errors) {
      expect(error.extensions.code).toBe("TIMEOUT")
      expect(error.message).toBe("The query ran past its 200 ms limit")
    }
    // Checked only before each resolver, the production resolver would start in time and answer
    // after seconds; stopped while it reads, it answers no production.
    const machines = answer.body.data.machines as Array<{ production: unknown }> | null
    expect(machines === null || machines.every((m) => m.production === null)).toBe(true)
  })
})
