import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/**
 * Reports on generated signals whose answers are known by construction. The server's zone is
 * Europe/Berlin (UTC+1 in winter, UTC+2 in summer; DST starts 2026-03-29 and ends 2026-10-25).
 */
const MIN = 60_000
const HOUR = 60 * MIN
const at = (iso: string) => Date.parse(iso)
type Value = { topic: string; value: unknown; timestamp: number }

const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })

const PRODUCTION = ["totalParts", "goodParts", "rejectedParts", "timeInCycle", "allTime", "plannedTime", "downtime", "utilizationRate",
  "availability", "performance", "quality", "oee", "averagePartsPerHour", "idealPartsPerHour", "minStartTime", "maxEndTime"]
const data = (metrics: ReadonlyArray<string>) => metrics.map((metric) => ({ metric }))

describe("production and downtime reports", () => {
  let server: TestServer
  let admin: Api

  const register = async (name: string, fields: Record<string, unknown> = {}, reject = false) => {
    const tags: Record<string, string> = { execution: `${name}/execution`, partCount: `${name}/parts` }
    if (reject) tags["rejectCount"] = `${name}/rejects`
    for (const topic of Object.values(tags)) {
      const answer = await admin.json("PUT", `/api/tags/${topic}`, { access: "RW", historize: { type: "event" } })
      if (answer.status !== 200) throw new Error(`tag ${topic}: ${answer.status} ${JSON.stringify(answer.body)}`)
    }
    const answer = await admin.json("POST", "/api/reporting/machines", { name, tags, ...fields })
    if (answer.status !== 201) throw new Error(`machine ${name}: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
  const write = async (values: Array<Value>) => {
    const answer = await admin.json("POST", "/machhub/tag/batch", values)
    if (answer.status !== 200) throw new Error(`batch: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
  const execution = (name: string, changes: Array<[string, string]>): Array<Value> =>
    changes.map(([time, value]) => ({ topic: `${name}/execution`, value, timestamp: at(time) }))
  const production = (body: Record<string, unknown>) => admin.json("POST", "/reports/production", body)

  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_TIMEZONE: "Europe/Berlin" } })
    admin = (await adminApi(server.url)).inDomain("plant")
    await (await adminApi(server.url)).json("POST", "/api/domains", { name: "plant" })

    // M1: in cycle 10:00-10:45Z, stopped 10:45-11:00Z, then UNAVAILABLE (a gap); 100 parts every 27 s
    // (the ideal cycle), 5 of them rejected.
    await register("M1", { idealCycleSeconds: 27, group: "Mills" }, true)
    const t0 = at("2026-01-10T10:00:00Z")
    await write([
      ...execution("M1", [["2026-01-10T10:00:00Z", "ACTIVE"], ["2026-01-10T10:45:00Z", "STOPPED"], ["2026-01-10T11:00:00Z", "UNAVAILABLE"]]),
      ...Array.from({ length: 101 }, (_, i) => ({ topic: "M1/parts", value: i, timestamp: t0 + i * 27_000 })),
      ...Array.from({ length: 6 }, (_, i) => ({ topic: "M1/rejects", value: i, timestamp: t0 + i * 5 * MIN }))
    ])

    // M2: a counter reset: 0, 10, 20, 30, then 3 (reset: 3 counted), 13 → 43 parts.
    await register("M2", { group: "Lathes" })
    await write([
      ...execution("M2", [["2026-01-10T10:00:00Z", "ACTIVE"], ["2026-01-10T11:00:00Z", "UNAVAILABLE"]]),
      ...[0, 10, 20, 30, 3, 13].map((value, i) => ({ topic: "M2/parts", value, timestamp: t0 + i * 5 * MIN }))
    ])

    // M3: shifts night 22:00-06:00 and day 06:00-14:00 (local); in cycle from 20:00 local on Jan 14
    // to 08:00 local on Jan 15, stopped until 10:00 local, then no data.
    await register("M3", { shifts: [{ name: "night", start: "22:00", end: "06:00" }, { name: "day", start: "06:00", end: "14:00" }] })
    await write(execution("M3", [["2026-01-14T20:00:00+01:00", "ACTIVE"], ["2026-01-15T08:00:00+01:00", "READY"], ["2026-01-15T10:00:00+01:00", "UNAVAILABLE"]]))

    // M4: in cycle over the two days around each DST change.
    await register("M4")
    await write(execution("M4", [
      ["2026-03-28T00:00:00+01:00", "ACTIVE"], ["2026-03-30T00:00:00+02:00", "UNAVAILABLE"],
      ["2026-10-25T00:00:00+02:00", "ACTIVE"], ["2026-10-26T00:00:00+01:00", "UNAVAILABLE"]
    ]))
  })
  afterAll(() => server.dispose())

  it("computes every metric of a machine in cycle 45 of 60 minutes making 100 parts, 5 rejected", async () => {
    const answer = await production({ start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z", data: data(PRODUCTION), filter: { machine: ["M1"] } })
    expect(answer.status).toBe(200)
    const expected = {
      totalParts: 100,
      goodParts: 95,
      rejectedParts: 5,
      timeInCycle: 45 * MIN,
      allTime: 60 * MIN,
      plannedTime: 60 * MIN,
      downtime: 15 * MIN,
      utilizationRate: 0.75,
      availability: 0.75,
      performance: 1,
      quality: 0.95,
      oee: 0.75 * 1 * 0.95,
      averagePartsPerHour: 100,
      idealPartsPerHour: 3600 / 27,
      minStartTime: "2026-01-10T10:00:00.000Z",
      maxEndTime: "2026-01-10T11:00:00.000Z"
    }
    for (const [metric, value] of Object.entries(expected)) {
      if (typeof value === "number") expect(answer.body.aggregate[metric], metric).toBeCloseTo(value, 9)
      else expect(answer.body.aggregate[metric], metric).toBe(value)
    }
    // No groupBy: one roll-up.
    expect(answer.body.items).toEqual([answer.body.aggregate])
  })

  it("counts a gap in the signal as no data, not downtime", async () => {
    // 09:00-12:00: an hour before the first value and an hour of UNAVAILABLE around the same data.
    const answer = await production({ start: "2026-01-10T09:00:00Z", end: "2026-01-10T12:00:00Z", data: data(["allTime", "downtime", "utilizationRate", "maxEndTime"]), filter: { machine: ["M1"] } })
    expect(answer.body.aggregate).toEqual({ allTime: 60 * MIN, downtime: 15 * MIN, utilizationRate: 0.75, maxEndTime: "2026-01-10T11:00:00.000Z" })
  })

  it("counts a counter reset: the drop is a reset and the value after it is counted", async () => {
    const answer = await production({ start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z", data: data(["totalParts", "quality"]), filter: { machine: ["M2"] } })
    expect(answer.body.aggregate).toEqual({ totalParts: 43, quality: 1 })
  })

  it("splits a shift crossing midnight at local midnight, and leaves time outside shifts unplanned", async () => {
    const answer = await production({
      startDay: "2026-01-14",
      endDay: "2026-01-15",
      data: data(["timeInCycle", "plannedTime", "downtime", "availability"]),
      groupBy: [{ group: "shift" }, { group: "day" }],
      filter: { machine: ["M3"] },
      flatten: true
    })
    expect(answer.status).toBe(200)
    expect(answer.body.items).toEqual([
      { shift: "day", day: "2026-01-15", timeInCycle: 2 * HOUR, plannedTime: 4 * HOUR, downtime: 2 * HOUR, availability: 0.5 },
      { shift: "night", day: "2026-01-14", timeInCycle: 2 * HOUR, plannedTime: 2 * HOUR, downtime: 0, availability: 1 },
      { shift: "night", day: "2026-01-15", timeInCycle: 6 * HOUR, plannedTime: 6 * HOUR, downtime: 0, availability: 1 },
      { shift: null, day: "2026-01-14", timeInCycle: 2 * HOUR, plannedTime: 0, downtime: 0, availability: null }
    ])
    expect(answer.body.aggregate).toEqual({ timeInCycle: 12 * HOUR, plannedTime: 12 * HOUR, downtime: 2 * HOUR, availability: 10 / 12 })

    const night = await production({ startDay: "2026-01-14", endDay: "2026-01-15", data: data(["timeInCycle"]), filter: { machine: ["M3"], shift: ["night"] } })
    expect(night.body.aggregate).toEqual({ timeInCycle: 8 * HOUR })
  })

  it("cuts days at local midnight on DST change days: 23 hours in spring, 25 in autumn", async () => {
    const spring = await production({ startDay: "2026-03-28", endDay: "2026-03-29", data: data(["allTime", "timeInCycle"]), groupBy: [{ group: "day" }], filter: { machine: ["M4"] } })
    expect(spring.body.items).toEqual([
      { day: "2026-03-28", allTime: 24 * HOUR, timeInCycle: 24 * HOUR },
      { day: "2026-03-29", allTime: 23 * HOUR, timeInCycle: 23 * HOUR }
    ])
    const autumn = await production({ startDay: "2026-10-25", endDay: "2026-10-25", data: data(["allTime"]), groupBy: [{ group: "hour" }], filter: { machine: ["M4"] } })
    expect(autumn.body.items).toHaveLength(25)
    expect(autumn.body.items[0]).toEqual({ hour: "2026-10-25T00:00:00.000+02:00", allTime: HOUR })
    expect(autumn.body.items.map((row: { hour: string }) => row.hour)).toContain("2026-10-25T02:00:00.000+01:00")
    expect(autumn.body.aggregate).toEqual({ allTime: 25 * HOUR })
  })

  it("nests groups in the order given, each level with its own roll-up", async () => {
    const answer = await production({
      start: "2026-01-10T10:00:00Z",
      end: "2026-01-10T11:00:00Z",
      data: data(["totalParts"]),
      groupBy: [{ group: "machineGroup" }, { group: "machine" }],
      filter: { machine: ["M1", "M2"] }
    })
    expect(answer.body).toEqual({
      items: [
        { machineGroup: "Lathes", totalParts: 43, items: [{ machine: "M2", totalParts: 43 }] },
        { machineGroup: "Mills", totalParts: 100, items: [{ machine: "M1", totalParts: 100 }] }
      ],
      aggregate: { totalParts: 143 }
    })
    const filtered = await production({ start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z", data: data(["totalParts"]), filter: { machineGroup: ["Mills"] } })
    expect(filtered.body.aggregate).toEqual({ totalParts: 100 })
  })

  it("answers CSV of the flat rows", async () => {
    const response = await admin.request("POST", "/reports/production", {
      start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z", data: data(["totalParts", "utilizationRate"]), groupBy: [{ group: "machine" }], filter: { machine: ["M1", "M2"] }, csv: true
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/)
    expect(await response.text()).toBe("machine,totalParts,utilizationRate\r\nM1,100,0.75\r\nM2,43,1\r\n")
  })

  it("reports downtime by reason: annotated periods take their reason, the rest is Uncategorized", async () => {
    const annotated = await admin.json("POST", "/api/reporting/downtime", { machine: "M1", start: "2026-01-10T10:45:00Z", end: "2026-01-10T10:50:00Z", reason: "Tool change" })
    expect(annotated.status).toBe(201)
    const answer = await admin.json("POST", "/reports/downtime", {
      start: "2026-01-10T10:00:00Z", end: "2026-01-10T12:00:00Z", groupBy: [{ group: "machine" }, { group: "reason" }], filter: { machine: ["M1"] }, flatten: true
    })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      items: [
        { machine: "M1", reason: "Tool change", downtimeMs: 5 * MIN },
        { machine: "M1", reason: "Uncategorized", downtimeMs: 10 * MIN }
      ],
      aggregate: { downtimeMs: 15 * MIN }
    })
  })

  it("answers MachineMetrics' error shapes", async () => {
    const broken = await admin.request("POST", "/reports/production", undefined, { "content-type": "application/json" })
    expect(broken.status).toBe(400)
    expect(await broken.json()).toEqual({ message: "Problem parsing JSON" })
    const notJson = await fetch(`${server.url}/reports/production`, {
      method: "POST", headers: { authorization: `Bearer ${admin.token}`, domain: "domains:plant", "content-type": "application/json" }, body: "{ nope"
    })
    expect(notJson.status).toBe(400)
    expect(await notJson.json()).toEqual({ message: "Problem parsing JSON" })
    const invalid = await production({ startDay: "2026-01-10", endDay: "2026-01-10", data: [{ metric: "abc" }] })
    expect(invalid.status).toBe(400)
    expect(invalid.body).toEqual({ code: "ValidationError", message: "Validation Error", errors: [{ field: "data", code: "InvalidDataItem", message: "Metric 'abc' is not valid" }] })
    const fields = await production({ startDay: "2026-01-11", endDay: "2026-01-10", data: data(["oee"]), groupBy: [{ group: "planet" }] })
    expect(fields.body.errors.map((e: { field: string }) => e.field)).toEqual(["endDay", "groupBy"])
  })

  it("needs reports:read, and keeps each domain's machines to itself", async () => {
    const root = await adminApi(server.url)
    const reader = await seedDomainUser(root, { domain: "plant", username: "analyst", group: "analysts", permissions: [perm("reports", "read", "domain")] })
    const outsider = await seedDomainUser(root, { domain: "plant", username: "outsider", group: "outsiders", permissions: [perm("machines", "read", "domain")] })
    const body = { start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z", data: data(["totalParts"]) }
    expect((await reader.api.json("POST", "/reports/production", body)).body.aggregate).toEqual({ totalParts: 143 })
    expect((await outsider.api.json("POST", "/reports/production", body)).status).toBe(403)
    const other = await seedDomainUser(root, { domain: "elsewhere", username: "stranger", group: "analysts", permissions: [perm("reports", "read", "domain")] })
    expect((await other.api.json("POST", "/reports/production", body)).body).toEqual({ items: [{ totalParts: 0 }], aggregate: { totalParts: 0 } })
  })

  it("answers a MachineMetrics client holding an API key of the reporting scope, on reports and GraphQL", async () => {
    const root = await adminApi(server.url)
    const owner = await seedDomainUser(root, {
      domain: "plant", username: "integrator", group: "integrators",
      permissions: [perm("api_keys", "read-write", "self"), perm("reports", "read", "domain"), perm("machines", "read", "domain")]
    })
    const key = await owner.api.json("POST", "/api/api-key/generate", { name: "MachineMetrics client", features: [], scopes: ["reporting"] })
    expect(key.status).toBe(200)
    const client = api(server.url, key.body.token as string)
    const report = await client.json("POST", "/reports/production", { start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z", data: data(["totalParts"]), groupBy: [{ group: "machine" }], filter: { machine: ["M1"] } })
    expect(report.status, JSON.stringify(report.body)).toBe(200)
    expect(report.body.items).toEqual([{ machine: "M1", totalParts: 100 }])
    const graph = await client.json("POST", "/graphql", { query: '{ machines(where: { name: { _eq: "M2" } }) { name production(start: "2026-01-10T10:00:00Z", end: "2026-01-10T11:00:00Z") { totalParts } } }' })
    expect(graph.body).toEqual({ data: { machines: [{ name: "M2", production: { totalParts: 43 } }] } })
    // The scope reads; it does not annotate.
    expect((await client.json("POST", "/api/reporting/downtime", { machine: "M1", start: "2026-01-10T10:00:00Z", end: "2026-01-10T10:01:00Z", reason: "x" })).status).toBe(403)
  })
})
