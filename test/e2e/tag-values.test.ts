import { statSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { readWholeLog } from "../support/readWholeLog.js"
import { tempDir } from "../support/temp.js"

describe("tag values over HTTP: POST /machhub/tag/<topic>, POST /machhub/tag/batch, GET /machhub/tag/value/<topic>", () => {
  let server: TestServer
  let admin: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
  })
  afterAll(() => server.dispose())

  it("writes a value to a topic written with its slashes, and reads it back with its time", async () => {
    const write = await admin.json("POST", "/machhub/tag/Plant1/LineA/Temperature", { value: 72.4, timestamp: "2026-06-01T00:00:00Z" })
    expect(write.status).toBe(200)
    expect(write.body).toEqual({ success: true, count: 1 })
    const read = await admin.json("GET", "/machhub/tag/value/Plant1/LineA/Temperature")
    expect(read.status).toBe(200)
    expect(read.body).toEqual({ topic: "Plant1/LineA/Temperature", value: 72.4, timestamp: "2026-06-01T00:00:00.000Z" })
    // The same topic percent-encoded is the same tag.
    const encoded = await admin.json("GET", `/machhub/tag/value/${encodeURIComponent("Plant1/LineA/Temperature")}`)
    expect(encoded.body.value).toBe(72.4)
  })

  it("keeps any JSON value, and stamps a value sent without timestamp with the time it arrived", async () => {
    const before = Date.now()
    const value = { state: "running", speed: [1, 2, 3], ok: true }
    expect((await admin.json("POST", "/machhub/tag/line/state", { value })).status).toBe(200)
    const read = await admin.json("GET", "/machhub/tag/value/line/state")
    expect(read.body.value).toEqual(value)
    const at = Date.parse(read.body.timestamp)
    expect(at).toBeGreaterThanOrEqual(before - 1)
    expect(at).toBeLessThanOrEqual(Date.now() + 1)
    expect((await admin.json("POST", "/machhub/tag/line/label", { value: "text, \"quoted\"" })).status).toBe(200)
    expect((await admin.json("GET", "/machhub/tag/value/line/label")).body.value).toBe("text, \"quoted\"")
  })

  it("answers the newest value by timestamp: a late value for an earlier time does not replace it", async () => {
    await admin.json("POST", "/machhub/tag/late/tag", { value: 2, timestamp: "2026-06-01T00:00:10Z" })
    await admin.json("POST", "/machhub/tag/late/tag", { value: 1, timestamp: "2026-06-01T00:00:05Z" })
    expect((await admin.json("GET", "/machhub/tag/value/late/tag")).body).toMatchObject({ value: 2, timestamp: "2026-06-01T00:00:10.000Z" })
  })

  it("writes a batch in order, the last value of each topic winning", async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({ topic: `batch/${i % 10}`, value: i, timestamp: 1_780_000_000_000 + i }))
    const write = await admin.json("POST", "/machhub/tag/batch", batch)
    expect(write.status).toBe(200)
    expect(write.body).toEqual({ success: true, count: 1000 })
    for (let t = 0; t < 10; t++) expect((await admin.json("GET", `/machhub/tag/value/batch/${t}`)).body.value).toBe(990 + t)
  })

  it("refuses bad input with 400 naming the problem, and writes nothing of a refused batch", async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["/machhub/tag/a/%2B/b", { value: 1 }, /wildcard '\+'/],
      ["/machhub/tag/a/%23", { value: 1 }, /wildcard '#'/],
      [`/machhub/tag/${"x".repeat(513)}`, { value: 1 }, /513 bytes.*at most 512/],
      ["/machhub/tag/a/b", { timestamp: 1 }, /value is missing/],
      ["/machhub/tag/a/b", { value: 1, timestamp: "yesterday" }, /timestamp must be an ISO 8601 time/],
      ["/machhub/tag/a/b", [1], /JSON object/],
      ["/machhub/tag/batch", { topic: "a", value: 1 }, /JSON array/],
      ["/machhub/tag/batch", [{ topic: "ok", value: 1 }, { topic: "bad/#", value: 2 }], /values\[1\]\.topic: .*wildcard/],
      ["/machhub/tag/batch", [{ topic: "ok", value: 1 }, "nope"], /values\[1\] must be an object/]
    ]
    for (const [path, body, message] of cases) {
      const answer = await admin.request("POST", path, body)
      expect(answer.status, path).toBe(400)
      expect(await answer.text()).toMatch(message)
    }
    const over = Array.from({ length: 10_001 }, (_, i) => ({ topic: "o", value: i }))
    const tooMany = await admin.request("POST", "/machhub/tag/batch", over)
    expect(tooMany.status).toBe(400)
    expect(await tooMany.text()).toMatch(/10001 values; at most 10000/)
    expect((await admin.request("GET", "/machhub/tag/value/ok")).status).toBe(404)
    expect((await admin.request("GET", "/machhub/tag/value/o")).status).toBe(404)
    const wildcardRead = await admin.request("GET", "/machhub/tag/value/a/%2B")
    expect(wildcardRead.status).toBe(400)
    const unknown = await admin.request("GET", "/machhub/tag/value/never/written")
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toMatch(/never\/written has no value yet/)
  })

  it("needs tags:read-write to write and tags:read to read; no credential is 401", async () => {
    const reader = await seedDomainUser(admin, {
      domain: "readers",
      username: "tag-reader",
      group: "tag-readers",
      permissions: [{ feature: "tags", action: "read", scope: "domain" }]
    })
    expect((await reader.api.request("POST", "/machhub/tag/r/t", { value: 1 })).status).toBe(403)
    expect((await admin.inDomain("readers").json("POST", "/machhub/tag/r/t", { value: 1 })).status).toBe(200)
    expect((await reader.api.json("GET", "/machhub/tag/value/r/t")).body.value).toBe(1)
    const nobody = await seedDomainUser(admin, { domain: "readers", username: "no-tags", group: "nothing", permissions: [] })
    expect((await nobody.api.request("GET", "/machhub/tag/value/r/t")).status).toBe(403)
    expect((await fetch(`${server.url}/machhub/tag/value/r/t`)).status).toBe(401)
  })

  it("defines a topic on its first value (RW, not historized, in the writer's name), and refuses writes to a read-only tag", async () => {
    expect((await admin.json("POST", "/machhub/tag/auto/created", { value: 1 })).status).toBe(200)
    const defined = await admin.json("GET", "/api/tags/auto/created")
    expect(defined.status).toBe(200)
    expect(defined.body).toMatchObject({ topic: "auto/created", access: "RW" })
    expect(defined.body.historize).toBeUndefined()
    expect((await admin.json("GET", "/machhub/tag/list")).body).toContain("auto/created")

    expect((await admin.json("PUT", "/api/tags/fixed/setpoint", { access: "R" })).status).toBeLessThan(300)
    const refused = await admin.request("POST", "/machhub/tag/fixed/setpoint", { value: 5 })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toMatch(/fixed\/setpoint is read-only/)
    const batch = await admin.request("POST", "/machhub/tag/batch", [{ topic: "auto/created", value: 2 }, { topic: "fixed/setpoint", value: 5 }])
    expect(batch.status).toBe(403)
    // All or nothing: the batch's other value is not written either.
    expect((await admin.json("GET", "/machhub/tag/value/auto/created")).body.value).toBe(1)
    expect((await admin.request("GET", "/machhub/tag/value/fixed/setpoint")).status).toBe(404)
  })

  it("keeps values out of the event log: values of defined tags add no event", async () => {
    await admin.json("POST", "/machhub/tag/batch", [{ topic: "quiet/a", value: 0 }])
    const before = (await Effect.runPromise(readWholeLog((from, limit) => server.store.readAll(from, limit)))).length
    const values = Array.from({ length: 5000 }, (_, i) => ({ topic: "quiet/a", value: i }))
    expect((await admin.json("POST", "/machhub/tag/batch", values)).status).toBe(200)
    const after = (await Effect.runPromise(readWholeLog((from, limit) => server.store.readAll(from, limit)))).length
    expect(after - before).toBe(0)
  })

  it("takes values from an API key holding tags:read-write, the way devices and the SDK's developer key write", async () => {
    const generated = await admin.json("POST", "/api/api-key/generate", { name: "device", features: [{ name: "tags", action: "read-write", scope: "domain" }] })
    expect(generated.status).toBe(200)
    const device = api(server.url, generated.body.token, undefined, "x-api-key")
    expect((await device.json("POST", "/machhub/tag/device/7/rpm", { value: 1480, timestamp: 1_780_000_000_000 })).status).toBe(200)
    expect((await device.json("POST", "/machhub/tag/device/7/rpm", { value: 1490, timestamp: "2026-05-28T22:26:41+02:00" })).status).toBe(200)
    expect((await device.json("GET", "/machhub/tag/value/device/7/rpm")).body).toEqual({
      topic: "device/7/rpm",
      value: 1490,
      timestamp: new Date(Date.parse("2026-05-28T20:26:41Z")).toISOString()
    })
    const readOnlyKey = await admin.json("POST", "/api/api-key/generate", { name: "viewer", features: [{ name: "tags", action: "read", scope: "domain" }] })
    const viewer = api(server.url, readOnlyKey.body.token, undefined, "x-api-key")
    expect((await viewer.request("POST", "/machhub/tag/device/7/rpm", { value: 0 })).status).toBe(403)
    expect((await viewer.json("GET", "/machhub/tag/value/device/7/rpm")).body.value).toBe(1490)
  })

  it("keeps each domain's values apart: the same topic in two domains is two tags", async () => {
    const a = await seedDomainUser(admin, {
      domain: "plant_a",
      username: "writer-a",
      group: "writers",
      permissions: [{ feature: "tags", action: "read-write", scope: "domain" }]
    })
    const b = await seedDomainUser(admin, {
      domain: "plant_b",
      username: "writer-b",
      group: "writers",
      permissions: [{ feature: "tags", action: "read-write", scope: "domain" }]
    })
    await a.api.json("POST", "/machhub/tag/shared/topic", { value: "A" })
    expect((await b.api.request("GET", "/machhub/tag/value/shared/topic")).status).toBe(404)
    await b.api.json("POST", "/machhub/tag/shared/topic", { value: "B" })
    expect((await a.api.json("GET", "/machhub/tag/value/shared/topic")).body.value).toBe("A")
    expect((await b.api.json("GET", "/machhub/tag/value/shared/topic")).body.value).toBe("B")
    // A member of plant_a naming plant_b in the Domain header is refused before any value is read.
    expect((await a.api.inDomain("plant_b").request("GET", "/machhub/tag/value/shared/topic")).status).toBe(403)
  })
})

describe("tag values across a restart", () => {
  it("keeps the last value of every tag, in historian.db (owner-only), not in the event log", async () => {
    const dir = tempDir()
    try {
      let server = await startTestServer({ dataDir: dir.path })
      let admin = await adminApi(server.url)
      await admin.json("POST", "/machhub/tag/kept/a", { value: 1, timestamp: 1_780_000_000_000 })
      await admin.json("POST", "/machhub/tag/batch", [{ topic: "kept/b", value: { x: 1 } }, { topic: "kept/a", value: 5, timestamp: 1_780_000_001_000 }])
      await server.stop()
      expect(statSync(join(dir.path, "historian.db")).mode & 0o777).toBe(0o600)

      server = await startTestServer({ dataDir: dir.path })
      admin = await adminApi(server.url)
      expect((await admin.json("GET", "/machhub/tag/value/kept/a")).body).toEqual({ topic: "kept/a", value: 5, timestamp: new Date(1_780_000_001_000).toISOString() })
      expect((await admin.json("GET", "/machhub/tag/value/kept/b")).body.value).toEqual({ x: 1 })
      await server.stop()
    } finally {
      dir.cleanup()
    }
  })
})
