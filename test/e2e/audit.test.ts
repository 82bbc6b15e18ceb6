import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const AUDITOR = [{ feature: "audit", action: "read", scope: "domain" }]
const WRITER = [{ feature: "collections", action: "read-write", scope: "domain" }]

interface Page {
  readonly events: Array<RecordedEvent>
  readonly next: number | null
}

/** Follows `next` from `from` until the end; returns every event seen. */
const allPages = async (client: Api, query: string, limit = 7): Promise<Array<RecordedEvent>> => {
  const seen: Array<RecordedEvent> = []
  let from: number | null = 1
  while (from !== null) {
    const page: { status: number; body: Page } = await client.json("GET", `/api/audit/events?${query}${query ? "&" : ""}from=${from}&limit=${limit}`)
    expect(page.status).toBe(200)
    expect(page.body.events.length).toBeLessThanOrEqual(limit)
    seen.push(...page.body.events)
    from = page.body.next
  }
  return seen
}

const ndjson = (text: string): Array<RecordedEvent> => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line))

describe("audit: the event log for auditors", () => {
  let server: TestServer
  let admin: Api
  let auditor: Api
  let writer: Api
  let writerId: string
  let outsider: Api
  let log: () => Promise<Array<RecordedEvent>>

  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    auditor = (await seedDomainUser(admin, { domain: "acme", username: "audrey", group: "auditors", permissions: AUDITOR })).api
    const seeded = await seedDomainUser(admin, { domain: "acme", username: "wendy", group: "writers", permissions: WRITER })
    writer = seeded.api
    writerId = seeded.userId
    outsider = (await seedDomainUser(admin, { domain: "globex", username: "gus", group: "writers", permissions: WRITER })).api
    for (let i = 0; i < 5; i++) expect((await writer.json("POST", "/machhub/products", { name: `p${i}`, price: i })).status).toBe(201)
    for (let i = 0; i < 3; i++) expect((await outsider.json("POST", "/machhub/parts", { name: `q${i}` })).status).toBe(201)
    // What the store holds: every expectation below is checked against the log itself.
    log = async () => [...(await Effect.runPromise(server.store.readAll(1, 1_000_000)))]
  })
  afterAll(() => server.dispose())

  it("needs audit:read (401 without a credential, 403 without the permission)", async () => {
    expect((await fetch(`${server.url}/api/audit/events`)).status).toBe(401)
    expect((await writer.json("GET", "/api/audit/events")).status).toBe(403)
    expect((await writer.json("GET", "/api/audit/events/export")).status).toBe(403)
    expect((await writer.json("GET", "/api/audit/streams/user-acme-x")).status).toBe(403)
  })

  it("pages the whole log in order for a global superuser: pages chain through `next` to exactly the log", async () => {
    const first = await admin.json("GET", "/api/audit/events?limit=3")
    expect(first.status).toBe(200)
    expect(first.body.events.map((e: RecordedEvent) => e.position)).toEqual([1, 2, 3])
    expect(first.body.next).toBe(4)
    expect(Object.keys(first.body.events[0]).sort()).toEqual(["data", "id", "meta", "position", "stream", "type", "version"])
    const everything = await log()
    const paged = await allPages(admin, "")
    // Reads add nothing to the log, so the pages are the log exactly.
    expect(paged.map((e) => e.id)).toEqual(everything.map((e) => e.id))
    // The last page says there is nothing more.
    const last = await admin.json("GET", `/api/audit/events?from=${paged[paged.length - 1]!.position}`)
    expect(last.body.next).toBeNull()
  })

  it("filters by domain, type, actor, stream and time, combined with AND, exactly as the log says", async () => {
    const everything = await log()
    const acme = await allPages(admin, "domain=acme")
    expect(acme.map((e) => e.id)).toEqual(everything.filter((e) => e.meta.domain === "acme").map((e) => e.id))

    const created = await allPages(admin, "type=RecordCreated&domain=acme", 2)
    expect(created.map((e) => e.id)).toEqual(everything.filter((e) => e.type === "RecordCreated" && e.meta.domain === "acme").map((e) => e.id))
    expect(created).toHaveLength(5)

    const byWriter = await allPages(admin, `actor=${writerId}`)
    expect(byWriter.map((e) => e.id)).toEqual(everything.filter((e) => e.meta.actor.id === writerId).map((e) => e.id))
    expect((await allPages(admin, `actor=user:${writerId}`)).map((e) => e.id)).toEqual(byWriter.map((e) => e.id))

    const stream = created[2]!.stream
    expect((await allPages(admin, `stream=${encodeURIComponent(stream)}`)).map((e) => e.stream)).toEqual([stream])

    // A window in time: from the second created record to the fourth (inclusive both ends).
    const since = created[1]!.meta.at
    const until = created[3]!.meta.at
    const windowed = await allPages(admin, `type=RecordCreated&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`)
    expect(windowed.map((e) => e.id)).toEqual(
      everything.filter((e) => e.type === "RecordCreated" && e.meta.at >= since && e.meta.at <= until).map((e) => e.id)
    )
    expect(windowed.length).toBeGreaterThanOrEqual(3)
    // One type across every domain (merged domain by domain), and time alone.
    const everyCreated = await allPages(admin, "type=RecordCreated", 3)
    expect(everyCreated.map((e) => e.id)).toEqual(everything.filter((e) => e.type === "RecordCreated").map((e) => e.id))
    expect(new Set(everyCreated.map((e) => e.meta.domain))).toEqual(new Set(["acme", "globex"]))
    const sinceOnly = await allPages(admin, `since=${encodeURIComponent(since)}`, 50)
    expect(sinceOnly.map((e) => e.id)).toEqual(everything.filter((e) => e.meta.at >= since).map((e) => e.id))
    // A stream's events from a position on (found without reading the stream from its start).
    const userStream = everything.find((e) => e.type === "UserRegistered" && e.meta.domain === "acme")!.stream
    const ofUser = everything.filter((e) => e.stream === userStream)
    expect(ofUser.length).toBeGreaterThanOrEqual(2)
    const fromSecond = await admin.json("GET", `/api/audit/events?stream=${encodeURIComponent(userStream)}&from=${ofUser[1]!.position}`)
    expect(fromSecond.body.events.map((e: RecordedEvent) => e.id)).toEqual(ofUser.slice(1).map((e) => e.id))
    // A filter matching nothing is an empty page, not an error.
    expect((await admin.json("GET", "/api/audit/events?type=NoSuchEvent")).body).toEqual({ events: [], next: null })
  })

  it("shows a domain's auditor only that domain's events, and refuses other domains", async () => {
    const everything = await log()
    const seen = await allPages(auditor, "")
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((e) => e.meta.domain === "acme")).toBe(true)
    expect(seen.map((e) => e.id)).toEqual(everything.filter((e) => e.meta.domain === "acme").map((e) => e.id))
    expect((await auditor.json("GET", "/api/audit/events?domain=acme")).status).toBe(200)
    expect((await auditor.json("GET", "/api/audit/events?domain=globex")).status).toBe(403)
    const globexStream = everything.find((e) => e.meta.domain === "globex" && e.type === "RecordCreated")!.stream
    expect((await auditor.json("GET", `/api/audit/events?stream=${encodeURIComponent(globexStream)}`)).body.events).toEqual([])
    expect((await auditor.json("GET", `/api/audit/streams/${encodeURIComponent(globexStream)}`)).status).toBe(404)
    const exported = ndjson(await (await auditor.request("GET", "/api/audit/events/export")).text())
    expect(exported.length).toBeGreaterThan(0)
    expect(exported.every((e) => e.meta.domain === "acme")).toBe(true)
  })

  it("does not let a domain's own grant of audit:read:all reach other domains", async () => {
    // The admin acts as superuser in globex and makes a group there holding audit:read:all.
    const globex = admin.inDomain("globex")
    expect((await globex.json("POST", "/api/groups", { name: "wide", permissions: [{ feature: "audit", action: "read", scope: "all" }] })).status).toBe(201)
    const wide = (await seedDomainUser(admin, { domain: "globex", username: "walt", group: "wide" })).api
    const seen = await allPages(wide, "", 50)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((e) => e.meta.domain === "globex")).toBe(true)
    expect((await wide.json("GET", "/api/audit/events?domain=acme")).status).toBe(403)
  })

  it("answers one aggregate's history in version order", async () => {
    const everything = await log()
    const record = everything.find((e) => e.type === "RecordCreated" && e.meta.domain === "acme")!
    const id = `acme.products:${(record.data as { id: string }).id}`
    expect((await writer.json("PUT", `/machhub/${id}`, { price: 100 })).status).toBe(200)
    expect((await writer.json("PUT", `/machhub/${id}`, { price: 200 })).status).toBe(200)
    const history = await auditor.json("GET", `/api/audit/streams/${encodeURIComponent(record.stream)}`)
    expect(history.status).toBe(200)
    expect(history.body.stream).toBe(record.stream)
    expect(history.body.events.map((e: RecordedEvent) => [e.version, e.type])).toEqual([[1, "RecordCreated"], [2, "RecordUpdated"], [3, "RecordUpdated"]])
    expect(history.body.next).toBeNull()
    const paged = await auditor.json("GET", `/api/audit/streams/${encodeURIComponent(record.stream)}?limit=2`)
    expect(paged.body.events).toHaveLength(2)
    const rest = await auditor.json("GET", `/api/audit/streams/${encodeURIComponent(record.stream)}?from=${paged.body.next}`)
    expect(rest.body.events.map((e: RecordedEvent) => e.version)).toEqual([3])
    expect((await admin.json("GET", "/api/audit/streams/user-acme-nobody")).status).toBe(404)
  })

  it("exports NDJSON for any filter: the same events as the pages", async () => {
    const response = await admin.request("GET", "/api/audit/events/export?domain=acme")
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/)
    const exported = ndjson(await response.text())
    const everything = await log()
    expect(exported.map((e) => e.id)).toEqual(everything.filter((e) => e.meta.domain === "acme").map((e) => e.id))
    const limited = ndjson(await (await admin.request("GET", "/api/audit/events/export?type=RecordCreated&limit=2")).text())
    expect(limited.map((e) => e.type)).toEqual(["RecordCreated", "RecordCreated"])
    const all = ndjson(await (await admin.request("GET", "/api/audit/events/export")).text())
    expect(all.map((e) => e.id)).toEqual(everything.map((e) => e.id))
  })

  it("answers a complete page the same every time, while the last page grows with the log", async () => {
    const full = await auditor.json("GET", "/api/audit/events?limit=2")
    expect(full.body.next).not.toBeNull()
    expect((await auditor.json("GET", "/api/audit/events?limit=2")).body).toEqual(full.body)
    const tail = async () => (await auditor.json("GET", "/api/audit/events?type=RecordCreated&limit=1000")).body
    const before = await tail()
    expect(before.next).toBeNull()
    expect((await writer.json("POST", "/machhub/products", { name: "late" })).status).toBe(201)
    const after = await tail()
    expect(after.events).toHaveLength(before.events.length + 1)
    expect(after.events[after.events.length - 1].data.data).toEqual({ name: "late" })
  })

  it("refuses malformed, unknown and repeated parameters with 400", async () => {
    for (const query of ["limit=0", "limit=1001", "from=-1", "from=x", "since=yesterday", "until=2025-01-01T10:00:00", "type=Bad%20Type",
      "domain=Not_A_Domain!", "fro=1", "from=1&from=2", "actor=a%20b"]) {
      const answer = await admin.json("GET", `/api/audit/events?${query}`)
      expect(answer.status, query).toBe(400)
      expect(typeof answer.body).toBe("string")
    }
    expect((await admin.json("GET", "/api/audit/events/export?limit=0")).status).toBe(400)
    expect((await admin.json("GET", "/api/audit/streams/x?type=A")).status).toBe(400)
    // Dates alone and zoned date-times are fine.
    expect((await admin.json("GET", "/api/audit/events?since=2020-01-01&until=2999-01-01T00:00:00%2B02:00")).status).toBe(200)
  })

  it("serves the event catalog, generated from the event declarations, to any authenticated caller", async () => {
    expect((await fetch(`${server.url}/api/events/catalog`)).status).toBe(401)
    const catalog = await writer.json("GET", "/api/events/catalog")
    expect(catalog.status).toBe(200)
    expect(catalog.body.subject).toBe("mh.evt.<domain>.<category>.<EventType>")
    const byType = new Map(catalog.body.events.map((e: { type: string }) => [e.type, e]))
    expect(byType.get("UserRegistered")).toMatchObject({ subjects: ["mh.evt.<domain>.user.UserRegistered"] })
    expect(byType.get("CommandRefused")).toMatchObject({ subjects: ["mh.evt.<domain>.refusal.CommandRefused"] })
    expect(byType.get("TerminalOutput")).toMatchObject({ subjects: ["mh.evt.<domain>.sshsession.TerminalOutput"] })
    // Every type in the log is in the catalog.
    for (const event of await log()) expect(byType.has(event.type), event.type).toBe(true)
  })
})
