import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/** A topic in a URL as it is, each level percent-encoded on its own (its slashes kept). */
const path = (topic: string) => `/api/tags/${topic.split("/").map(encodeURIComponent).join("/")}`
/** The whole topic percent-encoded, slashes as %2F. */
const encodedPath = (topic: string) => `/api/tags/${encodeURIComponent(topic)}`

const historizeSampled = { type: "timeseries", samplingTime: "1s", retention: "30d" }

describe("tag definitions over HTTP (SPEC §7)", () => {
  let server: TestServer
  let admin: Api
  let acme: Api
  let globex: Api
  let reader: Api
  let editor: Api
  let keeper: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    acme = admin.inDomain("acme")
    ;({ api: reader } = await seedDomainUser(admin, {
      domain: "acme", username: "tag-reader", group: "tag-readers", permissions: [{ feature: "tags", action: "read", scope: "domain" }]
    }))
    ;({ api: editor } = await seedDomainUser(admin, {
      domain: "acme", username: "tag-editor", group: "tag-editors", permissions: [{ feature: "tags", action: "read-write", scope: "domain" }]
    }))
    ;({ api: keeper } = await seedDomainUser(admin, {
      domain: "acme",
      username: "historian-keeper",
      group: "historian-keepers",
      permissions: [{ feature: "tags", action: "read-write", scope: "domain" }, { feature: "historian", action: "read-write", scope: "domain" }]
    }))
    ;({ api: globex } = await seedDomainUser(admin, {
      domain: "globex",
      username: "globex-keeper",
      group: "keepers",
      permissions: [{ feature: "tags", action: "read-write", scope: "domain" }, { feature: "historian", action: "read-write", scope: "domain" }]
    }))
  })
  afterAll(() => server.dispose())

  it("defines a tag with PUT, answers it with its version, lists it and its topic, and records TagDefined", async () => {
    const topic = "Plant1/LineA/Temperature"
    const defined = await keeper.json("PUT", path(topic), { description: "Oven zone 1", access: "R", historize: historizeSampled })
    expect(defined.status).toBe(200)
    expect(defined.body).toMatchObject({
      success: true,
      tag: { topic, description: "Oven zone 1", access: "R", historize: historizeSampled, autocreated: false, version: 1 }
    })
    expect(defined.headers.get("etag")).toBe('"1"')
    expect(Number(defined.headers.get("app-event-position"))).toBeGreaterThan(0)

    const one = await reader.json("GET", path(topic))
    expect(one.status).toBe(200)
    expect(one.body).toEqual(defined.body.tag)
    expect(one.headers.get("etag")).toBe('"1"')
    // The same tag with its slashes percent-encoded.
    expect((await reader.json("GET", encodedPath(topic))).body).toEqual(defined.body.tag)

    const list = await reader.json("GET", "/api/tags")
    expect(list.status).toBe(200)
    expect(list.body).toContainEqual(defined.body.tag)
    expect((await reader.json("GET", "/machhub/tag/list")).body).toContain(topic)
    expect((await keeper.json("GET", "/machhub/historian/list")).body).toContain(topic)

    const events = await Effect.runPromise(server.store.readStream(`tag-acme-${topic}`, 1, 10))
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ["TagDefined", { topic, description: "Oven zone 1", access: "R", historize: historizeSampled }]
    ])
    expect(events[0]!.meta.actor.kind).toBe("user")
  })

  it("appends nothing when a tag is redefined as it is, and a version per change", async () => {
    const topic = "Plant1/LineA/Speed"
    expect((await editor.json("PUT", path(topic), { access: "RW" })).headers.get("etag")).toBe('"1"')
    const again = await editor.json("PUT", path(topic), { access: "RW", description: null })
    expect(again.status).toBe(200)
    expect(again.headers.get("etag")).toBe('"1"')
    const changed = await editor.json("PUT", path(topic), { access: "RW", description: "rpm" })
    expect(changed.headers.get("etag")).toBe('"2"')
    expect(changed.body.tag).toMatchObject({ description: "rpm", version: 2 })
    // The topic in the body may be given if it is the path's.
    expect((await editor.json("PUT", path(topic), { topic, access: "RW", description: "rpm" })).status).toBe(200)
  })

  it("takes topics of any well-formed UTF-8, empty levels included", async () => {
    for (const topic of ["Halle 1/Öfen/温度", "/leading", "a//b", "a/"]) {
      const put = await editor.json("PUT", encodedPath(topic), { access: "RW" })
      expect(put.status, topic).toBe(200)
      expect(put.body.tag.topic).toBe(topic)
      expect((await reader.json("GET", "/machhub/tag/list")).body).toContain(topic)
    }
  })

  it("refuses topics that are not MQTT topic names with 400 naming the problem", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/api/tags/a/+/b", /wildcard '\+'/],
      [encodedPath("a/#"), /wildcard '#'/],
      [encodedPath("$SYS/broker"), /reserved/],
      [encodedPath("a\u0000b"), /NUL/],
      [encodedPath("x".repeat(513)), /513 bytes.*at most 512/]
    ]
    for (const [url, problem] of cases) {
      for (const method of ["PUT", "GET", "DELETE"]) {
        const answer = await editor.json(method, url, method === "PUT" ? { access: "RW" } : undefined)
        expect(answer.status, `${method} ${url}`).toBe(400)
        expect(answer.body).toMatch(/^topic: /)
        expect(answer.body).toMatch(problem)
      }
    }
    expect((await editor.json("PUT", encodedPath("x".repeat(512)), { access: "RW" })).status).toBe(200)
  })

  it("refuses bodies of the wrong shape (400) and settings that cannot work (422), naming the field", async () => {
    const topic = "Checks/Tag"
    const refused: Array<[unknown, number, RegExp]> = [
      [{}, 400, /access/],
      [{ access: "W" }, 400, /access/],
      [{ access: "RW", description: 5 }, 400, /description/],
      [{ access: "RW", historize: { type: "sampled" } }, 400, /historize/],
      [{ access: "RW", historize: { type: "timeseries", samplingTime: 5 } }, 400, /samplingTime/],
      [{ access: "RW", historize: { type: "timeseries", samplingTime: "5 minutes" } }, 400, /historize\.samplingTime "5 minutes" is not a duration/],
      [{ access: "RW", historize: { type: "event", retention: "1y" } }, 400, /historize\.retention "1y" is not a duration/],
      [{ access: "RW", historize: { type: "timeseries" } }, 422, /historize\.samplingTime is required/],
      [{ access: "RW", historize: { type: "event", samplingTime: "1s" } }, 422, /historize\.samplingTime applies to type timeseries only/],
      [{ access: "RW", historize: { type: "timeseries", samplingTime: "2w" } }, 422, /historize\.samplingTime "2w" is outside 1s to 1w/],
      [{ access: "RW", historize: { type: "timeseries", samplingTime: "1h", retention: "30m" } }, 422, /historize\.retention "30m" is shorter/],
      [{ access: "RW", description: "x".repeat(4097) }, 422, /description is 4097 characters long/],
      [{ topic: "Other/Tag", access: "RW" }, 400, /^topic: the body names "Other\/Tag"/]
    ]
    for (const [body, status, message] of refused) {
      const answer = await keeper.json("PUT", path(topic), body)
      expect(answer.status, JSON.stringify(body)).toBe(status)
      expect(answer.body).toMatch(message)
    }
    expect((await keeper.json("GET", path(topic))).status).toBe(404)
    const malformed = await keeper.request("PUT", path(topic), undefined, { "content-type": "application/json" })
    expect(malformed.status).toBe(400)
  })

  it("needs tags:read to read, tags:read-write to define and remove, historian:read to list historized tags", async () => {
    expect((await reader.json("PUT", path("Perm/Tag"), { access: "RW" })).status).toBe(403)
    expect((await editor.json("PUT", path("Perm/Tag"), { access: "RW" })).status).toBe(200)
    const denied = await reader.json("DELETE", path("Perm/Tag"))
    expect(denied.status).toBe(403)
    expect(denied.body).toMatch(/Missing permission tags:read-write:domain/)
    const historian = await editor.json("GET", "/machhub/historian/list")
    expect(historian.status).toBe(403)
    expect(historian.body).toMatch(/historian:read:domain/)
    const { api: outsider } = await seedDomainUser(admin, { domain: "acme", username: "no-tags", group: "no-tags", permissions: [] })
    for (const url of ["/api/tags", path("Perm/Tag"), "/machhub/tag/list"]) expect((await outsider.json("GET", url)).status).toBe(403)
    const anonymous = await fetch(`${server.url}/machhub/tag/list`)
    expect(anonymous.status).toBe(401)
  })

  it("changes historize settings only with historian:read-write, and keeps them when a tag editor changes the rest", async () => {
    const topic = "Plant1/LineB/Pressure"
    const noHistorian = await editor.json("PUT", path(topic), { access: "RW", historize: { type: "event" } })
    expect(noHistorian.status).toBe(403)
    expect(noHistorian.body).toMatch(/historian:read-write/)
    expect((await editor.json("GET", path(topic))).status).toBe(404)

    expect((await keeper.json("PUT", path(topic), { access: "RW", historize: { type: "event", retention: "7d" } })).status).toBe(200)
    const edited = await editor.json("PUT", path(topic), { access: "R", description: "bar" })
    expect(edited.status).toBe(200)
    expect(edited.body.tag).toMatchObject({ access: "R", description: "bar", historize: { type: "event", retention: "7d" } })
    // The same settings again are no change.
    expect((await editor.json("PUT", path(topic), { access: "R", description: "bar", historize: { type: "event", retention: "7d" } })).status).toBe(200)
    expect((await editor.json("PUT", path(topic), { access: "R", historize: null })).status).toBe(403)
    expect((await editor.json("PUT", path(topic), { access: "R", historize: { type: "event", retention: "8d" } })).status).toBe(403)
    const removal = await editor.json("DELETE", path(topic))
    expect(removal.status).toBe(403)
    expect(removal.body).toMatch(/historian:read-write/)

    const stopped = await keeper.json("PUT", path(topic), { access: "R", description: "bar", historize: null })
    expect(stopped.status).toBe(200)
    expect(stopped.body.tag.historize).toBeUndefined()
    expect((await keeper.json("GET", "/machhub/historian/list")).body).not.toContain(topic)
    expect((await editor.json("DELETE", path(topic))).status).toBe(200)
  })

  it("removes a tag: gone from every list, 404 afterwards, definable again", async () => {
    const topic = "Plant2/Flow"
    expect((await keeper.json("PUT", path(topic), { access: "RW", historize: { type: "event" } })).status).toBe(200)
    const removed = await keeper.json("DELETE", path(topic))
    expect(removed.status).toBe(200)
    expect(removed.body).toEqual({ success: true, topic })
    expect(removed.headers.get("etag")).toBe('"2"')
    expect((await keeper.json("GET", path(topic))).status).toBe(404)
    expect((await keeper.json("DELETE", path(topic))).status).toBe(404)
    expect((await keeper.json("GET", "/api/tags")).body.map((t: { topic: string }) => t.topic)).not.toContain(topic)
    expect((await keeper.json("GET", "/machhub/tag/list")).body).not.toContain(topic)
    expect((await keeper.json("GET", "/machhub/historian/list")).body).not.toContain(topic)
    const again = await keeper.json("PUT", path(topic), { access: "R" })
    expect(again.status).toBe(200)
    expect(again.body.tag).toMatchObject({ access: "R", version: 3 })
    expect(again.body.tag.historize).toBeUndefined()
  })

  it("honours If-Match (412 when stale) and Idempotency-Key (a retry appends nothing)", async () => {
    const topic = "Concurrency/Tag"
    expect((await editor.json("PUT", path(topic), { access: "RW" })).status).toBe(200)
    const stale = await editor.json("PUT", path(topic), { access: "R" }, { "If-Match": '"7"' })
    expect(stale.status).toBe(412)
    expect((await editor.json("PUT", path(topic), { access: "R" }, { "If-Match": '"1"' })).headers.get("etag")).toBe('"2"')
    expect((await editor.json("PUT", path(topic), { access: "R" }, { "If-Match": "garbage" })).status).toBe(400)
    expect((await editor.json("PUT", encodedPath("Never/Defined"), { access: "R" }, { "If-Match": '"1"' })).status).toBe(412)

    const key = { "Idempotency-Key": "tag-retry-0001" }
    const first = await editor.json("PUT", path(topic), { access: "RW", description: "once" }, key)
    const retry = await editor.json("PUT", path(topic), { access: "RW", description: "once" }, key)
    expect(first.headers.get("etag")).toBe('"3"')
    expect(retry.status).toBe(200)
    expect(retry.headers.get("etag")).toBe('"3"')
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    expect((await editor.json("PUT", path(topic), { access: "RW" }, { "Idempotency-Key": "bad key with spaces" })).status).toBe(400)

    expect((await editor.json("DELETE", path(topic), undefined, { "If-Match": '"2"' })).status).toBe(412)
    expect((await editor.json("DELETE", path(topic), undefined, { "If-Match": '"3"' })).status).toBe(200)
  })

  it("keeps each domain's tags to itself: same topic defined apart, another domain's never seen, changed or removed", async () => {
    const topic = "Shared/Name"
    expect((await keeper.json("PUT", path(topic), { access: "R", description: "acme's", historize: { type: "event" } })).status).toBe(200)
    expect((await globex.json("GET", path(topic))).status).toBe(404)
    expect((await globex.json("DELETE", path(topic))).status).toBe(404)
    expect((await globex.json("GET", "/api/tags")).body).toEqual([])
    expect((await globex.json("GET", "/machhub/tag/list")).body).toEqual([])
    expect((await globex.json("GET", "/machhub/historian/list")).body).toEqual([])

    const theirs = await globex.json("PUT", path(topic), { access: "RW" })
    expect(theirs.body.tag).toMatchObject({ access: "RW", version: 1 })
    expect((await keeper.json("GET", path(topic))).body).toMatchObject({ access: "R", description: "acme's", version: 1 })
    expect((await globex.json("GET", "/machhub/tag/list")).body).toEqual([topic])
    // A member of acme only cannot pick globex with the Domain header.
    expect((await keeper.inDomain("globex").json("GET", "/api/tags")).status).toBe(403)
  })

  it("defines a topic on its first value (RW, not historized, autocreated), and refuses client values to a read-only tag", async () => {
    const topic = "Auto/Created/One"
    const written = await editor.json("POST", `/machhub/tag/${topic}`, { value: 21.5 })
    expect(written.status).toBe(200)
    const tag = await editor.json("GET", path(topic))
    expect(tag.body).toMatchObject({ topic, access: "RW", autocreated: true, version: 1 })
    expect(tag.body.historize).toBeUndefined()
    expect((await editor.json("GET", "/machhub/tag/list")).body).toContain(topic)
    // More values change nothing about the definition.
    expect((await editor.json("POST", `/machhub/tag/${topic}`, { value: 22 })).status).toBe(200)
    expect((await editor.json("GET", path(topic))).body.version).toBe(1)

    // Values racing for one new topic: it is defined once.
    const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => editor.json("POST", "/machhub/tag/Auto/Race", { value: i })))
    expect(racing.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect((await editor.json("GET", path("Auto/Race"))).body).toMatchObject({ autocreated: true, version: 1 })

    // A batch of new topics at once: each defined once.
    const batch = Array.from({ length: 50 }, (_, i) => ({ topic: `Auto/Batch/${i % 10}`, value: i }))
    expect((await editor.json("POST", "/machhub/tag/batch", batch)).status).toBe(200)
    const listed = (await editor.json("GET", "/api/tags")).body.filter((t: { topic: string }) => t.topic.startsWith("Auto/Batch/"))
    expect(listed.map((t: { version: number }) => t.version)).toEqual(Array(10).fill(1))

    expect((await editor.json("PUT", path(topic), { access: "R" })).body.tag).toMatchObject({ access: "R", autocreated: false, version: 2 })
    const readOnly = await editor.json("POST", `/machhub/tag/${topic}`, { value: 1 })
    expect(readOnly.status).toBe(403)
    expect(readOnly.body).toMatch(/read-only \(access R\)/)
  })

  it("keeps definitions across a restart", async () => {
    const before = (await keeper.json("GET", "/api/tags")).body
    const dataDir = server.dataDir
    const first = server
    await first.stop()
    const restarted = await startTestServer({ dataDir })
    server = { ...restarted, dispose: async () => {
      await restarted.stop()
      await first.dispose()
    } }
    const after = await adminApi(server.url, "acme")
    expect((await after.json("GET", "/api/tags")).body).toEqual(before)
  })
})

describe("tag autocreation switched off (MACHHUB_TAGS_AUTOCREATE=false)", () => {
  let server: TestServer
  let acme: Api
  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_TAGS_AUTOCREATE: "false" } })
    acme = (await adminApi(server.url)).inDomain("acme")
    expect((await (await adminApi(server.url)).json("POST", "/api/domains", { name: "acme" })).status).toBe(201)
  })
  afterAll(() => server.dispose())

  it("refuses a value to a topic with no definition, naming the setting, and takes it once the tag is defined", async () => {
    const refused = await acme.json("POST", "/machhub/tag/Not/Defined", { value: 1 })
    expect(refused.status).toBe(404)
    expect(refused.body).toMatch(/MACHHUB_TAGS_AUTOCREATE=false/)
    expect((await acme.json("GET", "/machhub/tag/list")).body).toEqual([])
    expect((await acme.json("PUT", path("Not/Defined"), { access: "RW" })).status).toBe(200)
    expect((await acme.json("POST", "/machhub/tag/Not/Defined", { value: 1 })).status).toBe(200)
  })
})
