import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })
const tags = { execution: "mill/execution", partCount: "mill/parts" }

const defineTag = async (api: Api, topic: string, historize: Record<string, string> | null) => {
  const answer = await api.json("PUT", `/api/tags/${topic}`, { access: "RW", historize })
  if (answer.status !== 200) throw new Error(`define ${topic}: ${answer.status} ${JSON.stringify(answer.body)}`)
}

describe("reporting machines and downtime annotations", () => {
  let server: TestServer
  let admin: Api
  let reader: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = (await adminApi(server.url)).inDomain("plant")
    const seeded = await seedDomainUser(await adminApi(server.url), {
      domain: "plant",
      username: "viewer",
      group: "viewers",
      permissions: [perm("machines", "read", "domain"), perm("reports", "read", "domain")]
    })
    reader = seeded.api
    await defineTag(admin, tags.execution, { type: "event" })
    await defineTag(admin, tags.partCount, { type: "event" })
    await defineTag(admin, "mill/sampled", { type: "timeseries", samplingTime: "1s" })
  })
  afterAll(() => server.dispose())

  it("registers a machine, lists it, answers it with its version, and refuses the same name twice", async () => {
    const shifts = [{ name: "night", start: "22:00", end: "06:00" }]
    const created = await admin.json("POST", "/api/reporting/machines", { name: "Mill-1", group: "Mills", tags, idealCycleSeconds: 30, shifts })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect(created.body).toMatchObject({ success: true, machine: { name: "Mill-1", group: "Mills", tags, idealCycleSeconds: 30, shifts, version: 1 } })
    expect(created.headers.get("etag")).toBe('"1"')

    const list = await reader.json("GET", "/api/reporting/machines")
    expect(list.status).toBe(200)
    expect(list.body.map((m: { name: string }) => m.name)).toEqual(["Mill-1"])
    const one = await reader.json("GET", "/api/reporting/machines/Mill-1")
    expect(one.body).toMatchObject({ name: "Mill-1", shifts })
    expect(one.headers.get("etag")).toBe('"1"')

    const again = await admin.json("POST", "/api/reporting/machines", { name: "Mill-1", tags })
    expect(again.status).toBe(409)
  })

  it("requires every bound tag to be defined and historized as event, naming the one at fault", async () => {
    const undefinedTag = await admin.json("POST", "/api/reporting/machines", { name: "Mill-2", tags: { ...tags, rejectCount: "mill/rejects" } })
    expect(undefinedTag.status).toBe(422)
    expect(undefinedTag.body).toMatch(/tags\.rejectCount: no tag mill\/rejects/)
    const sampled = await admin.json("POST", "/api/reporting/machines", { name: "Mill-2", tags: { ...tags, partCount: "mill/sampled" } })
    expect(sampled.status).toBe(422)
    expect(sampled.body).toMatch(/tags\.partCount: tag mill\/sampled must be historized as event/)
  })

  it("refuses bad definitions with a status and a message naming the field", async () => {
    const badShift = await admin.json("POST", "/api/reporting/machines", { name: "Mill-3", tags, shifts: [{ name: "a", start: "25:00", end: "06:00" }] })
    expect(badShift.status).toBe(422)
    expect(badShift.body).toMatch(/shifts\[0\]\.start/)
    const noName = await admin.json("POST", "/api/reporting/machines", { tags })
    expect(noName.status).toBe(400)
    const noTags = await admin.json("POST", "/api/reporting/machines", { name: "Mill-3" })
    expect(noTags.status).toBe(400)
  })

  it("replaces a definition with PUT (If-Match checked) and removes it with DELETE", async () => {
    const stale = await admin.json("PUT", "/api/reporting/machines/Mill-1", { tags, group: "Lathes" }, { "if-match": '"9"' })
    expect(stale.status).toBe(412)
    const replaced = await admin.json("PUT", "/api/reporting/machines/Mill-1", { tags, group: "Lathes" }, { "if-match": '"1"' })
    expect(replaced.status).toBe(200)
    expect(replaced.body.machine).toMatchObject({ group: "Lathes", shifts: [], version: 2 })
    expect((await admin.json("PUT", "/api/reporting/machines/Nope", { tags })).status).toBe(404)
    expect((await admin.json("PUT", "/api/reporting/machines/Mill-1", { name: "Other", tags })).status).toBe(400)
  })

  it("records downtime annotations of a registered machine only, with reports:read-write", async () => {
    const annotation = { machine: "Mill-1", start: "2026-03-02T08:00:00Z", end: "2026-03-02T08:30:00Z", reason: "Tool change" }
    const made = await admin.json("POST", "/api/reporting/downtime", annotation)
    expect(made.status).toBe(201)
    expect(made.body).toEqual({ success: true, annotation: { ...annotation, start: "2026-03-02T08:00:00.000Z", end: "2026-03-02T08:30:00.000Z" } })
    expect((await admin.json("POST", "/api/reporting/downtime", { ...annotation, machine: "Nope" })).status).toBe(404)
    expect((await admin.json("POST", "/api/reporting/downtime", { ...annotation, end: annotation.start })).status).toBe(422)
    expect((await reader.json("POST", "/api/reporting/downtime", annotation)).status).toBe(403)
  })

  it("keeps machines within their domain and behind the machines permission", async () => {
    expect((await reader.json("POST", "/api/reporting/machines", { name: "X", tags })).status).toBe(403)
    const other = (await adminApi(server.url)).inDomain("elsewhere")
    await (await adminApi(server.url)).json("POST", "/api/domains", { name: "elsewhere" })
    expect((await other.json("GET", "/api/reporting/machines")).body).toEqual([])
    expect((await other.json("GET", "/api/reporting/machines/Mill-1")).status).toBe(404)
    expect((await other.json("DELETE", "/api/reporting/machines/Mill-1")).status).toBe(404)
  })

  it("removes a machine", async () => {
    const removed = await admin.json("DELETE", "/api/reporting/machines/Mill-1")
    expect(removed.status).toBe(200)
    expect((await reader.json("GET", "/api/reporting/machines/Mill-1")).status).toBe(404)
    expect((await admin.json("DELETE", "/api/reporting/machines/Mill-1")).status).toBe(404)
  })
})
