import { request as httpRequest } from "node:http"
import { gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { openTagValues } from "../../apps/server/src/tags/values/TagValues.js"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

const T0 = Date.parse("2026-01-01T00:00:00Z")
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const iso = (t: number) => new Date(t).toISOString()

const defineTag = async (api: Api, topic: string, historize: Record<string, string>) => {
  const answer = await api.json("PUT", `/api/tags/${topic}`, { access: "RW", historize })
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`define ${topic}: ${answer.status} ${JSON.stringify(answer.body)}`)
}

const writeBatch = async (api: Api, values: Array<{ topic: string; value: unknown; timestamp: number }>) => {
  const answer = await api.json("POST", "/machhub/tag/batch", values)
  if (answer.status !== 200) throw new Error(`batch: ${answer.status} ${JSON.stringify(answer.body)}`)
}

const query = async (api: Api, params: Record<string, string>) => api.json("GET", `/api/historian/query?${new URLSearchParams(params)}`)

/** The whole answer of a POST with the given Accept-Encoding, as bytes and headers (fetch would undo the gzip). */
const rawPost = (url: string, token: string, body: unknown, acceptEncoding: string) =>
  new Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }>((resolve, reject) => {
    const request = httpRequest(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "accept-encoding": acceptEncoding }
    }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, bytes: Buffer.concat(chunks) }))
      response.on("error", reject)
    })
    request.on("error", reject)
    request.end(JSON.stringify(body))
  })

describe("the historian: recording, queries, aggregates, export and retention", () => {
  let server: TestServer
  let admin: Api
  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_HISTORIAN_PRUNE_SECONDS: "1" } })
    admin = await adminApi(server.url)
    await defineTag(admin, "gen/ts", { type: "timeseries", samplingTime: "1m" })
    // A value every 10 s for two hours: value i at T0 + 10 s * i.
    await writeBatch(admin, Array.from({ length: 720 }, (_, i) => ({ topic: "gen/ts", value: i, timestamp: T0 + 10_000 * i })))
  })
  afterAll(() => server.dispose())

  it("keeps one timeseries point per samplingTime: the last value of each interval, stamped at its start", async () => {
    const answer = await admin.json("PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0), range: "1h" })
    expect(answer.status).toBe(200)
    expect(answer.body).toHaveLength(60)
    expect(answer.body[0]).toEqual({ timestamp: iso(T0), value: 5 })
    expect(answer.body[59]).toEqual({ timestamp: iso(T0 + 59 * MINUTE), value: 59 * 6 + 5 })
    // end_time instead of range; 24 h by default.
    const ended = await admin.json("PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0 + HOUR), end_time: iso(T0 + HOUR + 3 * MINUTE) })
    expect(ended.body.map((p: { value: number }) => p.value)).toEqual([365, 371, 377])
    expect((await admin.json("PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0) })).body).toHaveLength(120)
  })

  it("answers hourly buckets with every aggregate, known from the generated series", async () => {
    const answer = await query(admin, {
      topic: "gen/ts",
      start: iso(T0),
      end: iso(T0 + 2 * HOUR),
      bucket: "1h",
      agg: "avg,min,max,sum,count,first,last,median"
    })
    expect(answer.status).toBe(200)
    // Hour h holds the points 6k + 5 for k = 60h .. 60h + 59.
    const hour = (h: number) => {
      const values = Array.from({ length: 60 }, (_, k) => 6 * (60 * h + k) + 5)
      const sum = values.reduce((a, b) => a + b, 0)
      return { t: iso(T0 + h * HOUR), avg: sum / 60, min: values[0], max: values[59], sum, count: 60, first: values[0], last: values[59], median: (values[29]! + values[30]!) / 2 }
    }
    expect(answer.body).toEqual({ topic: "gen/ts", bucket: "1h", tz: "UTC", points: [hour(0), hour(1)] })
    // Without the median, the store sums each bucket up instead of handing over every point: same figures.
    const summed = await query(admin, { topic: "gen/ts", start: iso(T0), end: iso(T0 + 2 * HOUR), bucket: "1h", agg: "avg,min,max,sum,count,first,last" })
    expect(summed.body.points).toEqual([hour(0), hour(1)].map(({ median: _median, ...rest }) => rest))
    // Buckets of any width; a range that starts inside a bucket counts only the points within the range.
    const odd = await query(admin, { topic: "gen/ts", start: iso(T0 + MINUTE), end: iso(T0 + 14 * MINUTE), bucket: "7m", agg: "first,last,count" })
    expect(odd.body.points).toEqual([{ t: iso(T0), first: 11, last: 41, count: 6 }, { t: iso(T0 + 7 * MINUTE), first: 47, last: 83, count: 7 }])
  })

  it("fills empty buckets as asked: none, null, previous or linear", async () => {
    await defineTag(admin, "gen/gaps", { type: "event" })
    await writeBatch(admin, [{ topic: "gen/gaps", value: 10, timestamp: T0 }, { topic: "gen/gaps", value: 40, timestamp: T0 + 3 * HOUR }])
    const series = async (fill: string) =>
      (await query(admin, { topic: "gen/gaps", start: iso(T0), end: iso(T0 + 4 * HOUR), bucket: "1h", agg: "avg,count", fill })).body.points
    expect((await series("none")).map((p: { avg: number }) => p.avg)).toEqual([10, 40])
    expect((await series("null")).map((p: { avg: number }) => p.avg)).toEqual([10, null, null, 40])
    expect((await series("previous")).map((p: { avg: number }) => p.avg)).toEqual([10, 10, 10, 40])
    const linear = await series("linear")
    expect(linear.map((p: { avg: number }) => p.avg)).toEqual([10, 20, 30, 40])
    // An empty bucket counts nothing, whatever the fill.
    expect(linear.map((p: { count: number }) => p.count)).toEqual([1, 0, 0, 1])
  })

  it("aligns day buckets on local midnight in the asked time zone, across a DST change", async () => {
    await defineTag(admin, "gen/dst", { type: "event" })
    // Hourly values from local midnight of 2026-03-07 (EST, -05:00) to that of 2026-03-10 (EDT, -04:00): 71 hours.
    const start = Date.parse("2026-03-07T05:00:00Z")
    const hours = (Date.parse("2026-03-10T04:00:00Z") - start) / HOUR
    await writeBatch(admin, Array.from({ length: hours }, (_, i) => ({ topic: "gen/dst", value: i, timestamp: start + i * HOUR })))
    const days = await query(admin, { topic: "gen/dst", start: iso(start), end: "2026-03-10T04:00:00Z", bucket: "1d", agg: "count,first", tz: "America/New_York" })
    expect(days.status).toBe(200)
    expect(days.body.tz).toBe("America/New_York")
    expect(days.body.points).toEqual([
      { t: "2026-03-07T00:00:00.000-05:00", count: 24, first: 0 },
      // The spring-forward day has 23 hours.
      { t: "2026-03-08T00:00:00.000-05:00", count: 23, first: 24 },
      { t: "2026-03-09T00:00:00.000-04:00", count: 24, first: 47 }
    ])
    // Fall back (2026-11-01): the repeated 01:00 hour is two buckets, told apart by their offsets.
    await defineTag(admin, "gen/fallback", { type: "event" })
    const back = Date.parse("2026-11-01T04:00:00Z")
    await writeBatch(admin, Array.from({ length: 8 }, (_, i) => ({ topic: "gen/fallback", value: i, timestamp: back + i * 30 * MINUTE })))
    const hoursBack = await query(admin, { topic: "gen/fallback", start: iso(back), end: iso(back + 4 * HOUR), bucket: "1h", agg: "count", tz: "America/New_York" })
    expect(hoursBack.body.points).toEqual([
      { t: "2026-11-01T00:00:00.000-04:00", count: 2 },
      { t: "2026-11-01T01:00:00.000-04:00", count: 2 },
      { t: "2026-11-01T01:00:00.000-05:00", count: 2 },
      { t: "2026-11-01T02:00:00.000-05:00", count: 2 }
    ])
    const utcDays = await query(admin, { topic: "gen/dst", start: iso(start), end: "2026-03-10T04:00:00Z", bucket: "1d", agg: "count" })
    expect(utcDays.body.points.map((p: { t: string }) => p.t)).toEqual(["2026-03-07T00:00:00.000Z", "2026-03-08T00:00:00.000Z", "2026-03-09T00:00:00.000Z", "2026-03-10T00:00:00.000Z"])
  })

  it("records an event tag's changes only: the same value again is not a point", async () => {
    await defineTag(admin, "gen/state", { type: "event" })
    const values = ["idle", "idle", "run", "run", "run", "idle"]
    await writeBatch(admin, values.map((value, i) => ({ topic: "gen/state", value, timestamp: T0 + i * 1000 })))
    const points = await admin.json("PATCH", "/machhub/historian", { topic: "gen/state", start_time: iso(T0), range: "1m" })
    expect(points.body).toEqual([
      { timestamp: iso(T0), value: "idle" },
      { timestamp: iso(T0 + 2000), value: "run" },
      { timestamp: iso(T0 + 5000), value: "idle" }
    ])
  })

  it("streams a long raw range a page at a time, whole and in order", async () => {
    await defineTag(admin, "gen/long", { type: "event" })
    for (let offset = 0; offset < 25_000; offset += 10_000) {
      await writeBatch(admin, Array.from({ length: Math.min(10_000, 25_000 - offset) }, (_, i) => ({ topic: "gen/long", value: offset + i, timestamp: T0 + (offset + i) * 1000 })))
    }
    const answer = await admin.json("PATCH", "/machhub/historian", { topic: "gen/long", start_time: iso(T0), range: "1d" })
    expect(answer.status).toBe(200)
    expect(answer.body).toHaveLength(25_000)
    expect(answer.body.every((point: { value: number; timestamp: string }, i: number) => point.value === i && point.timestamp === iso(T0 + i * 1000))).toBe(true)
  })

  it("records the first value after a tag starts being historized, even one equal to its last value", async () => {
    await writeBatch(admin, [{ topic: "gen/later", value: 7, timestamp: T0 }])
    expect((await admin.json("PATCH", "/machhub/historian/last", { topic: "gen/later", limit: 5 })).body).toEqual([])
    const put = await admin.json("PUT", "/api/tags/gen/later", { access: "RW", historize: { type: "event" } })
    expect(put.status).toBeLessThan(300)
    await writeBatch(admin, [{ topic: "gen/later", value: 7, timestamp: T0 + 1000 }, { topic: "gen/later", value: 7, timestamp: T0 + 2000 }])
    expect((await admin.json("PATCH", "/machhub/historian/last", { topic: "gen/later", limit: 5 })).body).toEqual([{ timestamp: iso(T0 + 1000), value: 7 }])
  })

  it("answers the latest points, newest first or in time order", async () => {
    const desc = await admin.json("PATCH", "/machhub/historian/last", { topic: "gen/ts", limit: 3, sort: "desc" })
    expect(desc.body.map((p: { value: number }) => p.value)).toEqual([719, 713, 707])
    const asc = await admin.json("PATCH", "/machhub/historian/last", { topic: "gen/ts", limit: 3, sort: "asc" })
    expect(asc.body.map((p: { value: number }) => p.value)).toEqual([707, 713, 719])
    expect(asc.body[2].timestamp).toBe(iso(T0 + 119 * MINUTE))
    expect((await admin.json("PATCH", "/machhub/historian/last", { topic: "gen/none", limit: 5, sort: "desc" })).body).toEqual([])
  })

  it("refuses bad input with 400 naming the problem", async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ["PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0), range: "1 day" }, /range "1 day" does not parse/],
      ["PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0), range: "0h" }, /range "0h" does not parse/],
      ["PATCH", "/machhub/historian", { topic: "gen/ts", start_time: "last tuesday" }, /start_time must be an ISO 8601 time/],
      ["PATCH", "/machhub/historian", { topic: "gen/#", start_time: iso(T0) }, /topic: .*wildcard '#'/],
      ["PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0), end_time: iso(T0 - 1) }, /end_time is before start_time/],
      ["PATCH", "/machhub/historian", { start_time: iso(T0) }, /topic/],
      ["PATCH", "/machhub/historian/last", { topic: "gen/ts", limit: 0, sort: "desc" }, /limit must be a whole number from 1 to 100/],
      ["PATCH", "/machhub/historian/last", { topic: "gen/ts", limit: 101, sort: "desc" }, /limit must be a whole number from 1 to 100/],
      ["PATCH", "/machhub/historian/last", { topic: "gen/ts", limit: 2.5 }, /limit must be a whole number from 1 to 100/],
      ["PATCH", "/machhub/historian/last", { topic: "gen/+", limit: 1 }, /wildcard '\+'/],
      ["POST", "/machhub/historian/export/aggregated", { topics: [], startDate: iso(T0), endDate: iso(T0 + HOUR) }, /topics is empty/],
      ["POST", "/machhub/historian/export/aggregated", { topics: ["gen/ts"], startDate: iso(T0), endDate: iso(T0 + HOUR), sampleRate: "5_fortnight" }, /sampleRate "5_fortnight" does not parse/],
      ["POST", "/machhub/historian/export/aggregated", { topics: ["gen/ts"], startDate: iso(T0), endDate: iso(T0 + HOUR), timezone: "Mars/Olympus" }, /timezone "Mars\/Olympus" is not an IANA time zone/]
    ]
    for (const [method, path, body, message] of cases) {
      const answer = await admin.request(method, path, body)
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(await answer.text()).toMatch(message)
    }
    const queries: Array<[Record<string, string>, RegExp]> = [
      [{}, /topic is required/],
      [{ topic: "gen/ts", bucket: "1fortnight" }, /bucket "1fortnight" does not parse/],
      [{ topic: "gen/ts", agg: "avg,mode" }, /agg "mode" is not one of/],
      [{ topic: "gen/ts", fill: "zero" }, /fill "zero" is not one of/],
      [{ topic: "gen/ts", tz: "Nowhere/City" }, /tz "Nowhere\/City" is not an IANA time zone/],
      [{ topic: "gen/ts", start: "2026-01-01", end: "2025-01-01" }, /end is before start/],
      [{ topic: "gen/ts", start: "2000-01-01", end: "2026-01-01", bucket: "1s" }, /more than 100000 buckets/]
    ]
    for (const [params, message] of queries) {
      const answer = await admin.request("GET", `/api/historian/query?${new URLSearchParams(params)}`)
      expect(answer.status, JSON.stringify(params)).toBe(400)
      expect(await answer.text()).toMatch(message)
    }
  })

  it("answers raw SurrealQL queries 501, naming the aggregate API", async () => {
    const answer = await admin.request("POST", "/machhub/historian/query", "SELECT * FROM historian")
    expect(answer.status).toBe(501)
    expect(await answer.text()).toMatch(/GET \/api\/historian\/query/)
  })

  it("exports several tags as CSV, bucketed and aggregated in a time zone, with mapped names, gzip when accepted", async () => {
    await defineTag(admin, "gen/second", { type: "timeseries", samplingTime: "1m" })
    await writeBatch(admin, [{ topic: "gen/second", value: 1.5, timestamp: T0 + 30 * MINUTE }, { topic: "gen/second", value: "a,b", timestamp: T0 + 3 * HOUR }])
    const body = {
      topics: ["gen/ts", "gen/second"],
      startDate: iso(T0),
      endDate: iso(T0 + 4 * HOUR),
      timezone: "Asia/Kuala_Lumpur",
      sampleRate: "1_hour",
      aggregation: "mean",
      mapping: { "gen/ts": "Counter \"main\"" }
    }
    const gz = await rawPost(`${server.url}/machhub/historian/export/aggregated`, admin.token, body, "gzip, deflate")
    expect(gz.status).toBe(200)
    expect(gz.headers["content-encoding"]).toBe("gzip")
    expect(gz.headers["content-type"]).toMatch(/^text\/csv/)
    const csv = gunzipSync(gz.bytes).toString("utf8")
    const hourAvg = (h: number) => 6 * 60 * h + 6 * 29.5 + 5
    expect(csv.split("\r\n")).toEqual([
      `Timestamp,"Counter ""main""",gen/second`,
      `2026-01-01T08:00:00.000+08:00,${hourAvg(0)},1.5`,
      `2026-01-01T09:00:00.000+08:00,${hourAvg(1)},`,
      // A text value has no mean.
      `2026-01-01T11:00:00.000+08:00,,`,
      ""
    ])
    const plain = await rawPost(`${server.url}/machhub/historian/export/aggregated`, admin.token, { ...body, sampleRate: "", aggregation: "", startDate: iso(T0 + 29 * MINUTE), endDate: iso(T0 + 31 * MINUTE) }, "identity")
    expect(plain.headers["content-encoding"]).toBeUndefined()
    expect(plain.bytes.toString("utf8").split("\r\n")).toEqual([
      `Timestamp,"Counter ""main""",gen/second`,
      `2026-01-01T08:29:00.000+08:00,${29 * 6 + 5},`,
      `2026-01-01T08:30:00.000+08:00,${30 * 6 + 5},1.5`,
      `2026-01-01T08:31:00.000+08:00,${31 * 6 + 5},`,
      ""
    ])
  })

  it("stops an export whose client went away, and goes on answering", async () => {
    for (const encoding of ["gzip", "identity"]) {
      const controller = new AbortController()
      const response = await fetch(`${server.url}/machhub/historian/export/aggregated`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json", "accept-encoding": encoding },
        body: JSON.stringify({ topics: ["gen/long", "gen/ts"], startDate: iso(T0), endDate: iso(T0 + 30 * 24 * HOUR) }),
        signal: controller.signal
      })
      expect(response.status).toBe(200)
      const reader = response.body!.getReader()
      await reader.read()
      controller.abort()
      await reader.read().catch(() => undefined)
    }
    const after = await admin.json("PATCH", "/machhub/historian/last", { topic: "gen/long", limit: 1 })
    expect(after.body).toEqual([{ timestamp: iso(T0 + 24_999_000), value: 24_999 }])
  })

  it("prunes points older than the tag's retention, keeping the newer ones", async () => {
    await defineTag(admin, "gen/short", { type: "event", retention: "1m" })
    const now = Date.now()
    await writeBatch(admin, [
      ...Array.from({ length: 50 }, (_, i) => ({ topic: "gen/short", value: i, timestamp: now - 2 * HOUR + i * 1000 })),
      { topic: "gen/short", value: "recent", timestamp: now }
    ])
    const read = async () => (await admin.json("PATCH", "/machhub/historian", { topic: "gen/short", start_time: iso(now - 3 * HOUR), range: "4h" })).body as Array<{ value: unknown }>
    let points = await read()
    for (let i = 0; i < 100 && points.length > 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      points = await read()
    }
    expect(points).toEqual([{ timestamp: iso(now), value: "recent" }])
  })

  it("keeps each domain's history apart, and needs historian:read", async () => {
    const other = await seedDomainUser(admin, {
      domain: "hist_other",
      username: "hist-reader",
      group: "readers",
      permissions: [{ feature: "historian", action: "read", scope: "domain" }, { feature: "tags", action: "read-write", scope: "domain" }]
    })
    // The same topic in another domain is another series: nothing of this one shows there.
    expect((await other.api.json("PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0) })).body).toEqual([])
    expect((await query(other.api, { topic: "gen/ts", start: iso(T0), end: iso(T0 + 2 * HOUR), bucket: "1h" })).body.points).toEqual([])
    expect((await other.api.json("PATCH", "/machhub/historian/last", { topic: "gen/ts", limit: 5 })).body).toEqual([])
    const noHistorian = await seedDomainUser(admin, { domain: "hist_other", username: "no-hist", group: "none", permissions: [] })
    expect((await noHistorian.api.request("PATCH", "/machhub/historian", { topic: "gen/ts", start_time: iso(T0) })).status).toBe(403)
    expect((await noHistorian.api.request("GET", "/api/historian/query?topic=gen/ts")).status).toBe(403)
  })
})

describe("the historian across a restart", () => {
  it("keeps history and last values", async () => {
    const dir = tempDir()
    try {
      let server = await startTestServer({ dataDir: dir.path })
      let admin = await adminApi(server.url)
      await defineTag(admin, "kept/series", { type: "timeseries", samplingTime: "1s" })
      await writeBatch(admin, Array.from({ length: 100 }, (_, i) => ({ topic: "kept/series", value: i * 2, timestamp: T0 + i * 1000 })))
      await server.stop()
      server = await startTestServer({ dataDir: dir.path })
      admin = await adminApi(server.url)
      const points = await admin.json("PATCH", "/machhub/historian", { topic: "kept/series", start_time: iso(T0), range: "1h" })
      expect(points.body).toHaveLength(100)
      expect(points.body[99]).toEqual({ timestamp: iso(T0 + 99_000), value: 198 })
      expect((await admin.json("GET", "/machhub/tag/value/kept/series")).body.value).toBe(198)
      // Still historized after the restart: a new value is recorded.
      await writeBatch(admin, [{ topic: "kept/series", value: -1, timestamp: T0 + 100_000 }])
      expect((await admin.json("PATCH", "/machhub/historian/last", { topic: "kept/series", limit: 1 })).body).toEqual([{ timestamp: iso(T0 + 100_000), value: -1 }])
      await server.stop()
    } finally {
      dir.cleanup()
    }
  })
})

describe("retention passes", () => {
  it("remove at most their budget of expired points, going round the tags, and keep what is within retention", () => {
    const dir = tempDir()
    const now = Date.now()
    const values = openTagValues({
      dataDir: dir.path,
      historize: (_domain, topic) => (topic === "kept" ? { type: "event" } : { type: "event", retentionMillis: HOUR }),
      pruneIntervalSeconds: 0,
      now: () => now
    })
    try {
      for (const topic of ["a", "b", "kept"]) {
        values.publish(Array.from({ length: 15_000 }, (_, i) => ({ domain: "d", topic, value: i, timestamp: now - 2 * HOUR + i })))
        values.publish([{ domain: "d", topic, value: "recent", timestamp: now }])
      }
      const count = (topic: string) => values.store.range(values.store.findSeries("d", topic)!, 0, now + 1).length
      expect(values.prune(10_000)).toBe(10_000)
      expect(values.prune(10_000)).toBe(10_000)
      expect(values.prune(10_000)).toBe(10_000)
      expect(values.prune(10_000)).toBe(0)
      expect([count("a"), count("b"), count("kept")]).toEqual([1, 1, 15_001])
    } finally {
      values.close()
      dir.cleanup()
    }
  })
})
