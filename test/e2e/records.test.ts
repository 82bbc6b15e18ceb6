import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, loginAs, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

describe("collections data plane: records (SPEC §6)", () => {
  let server: TestServer
  let admin: Api
  let acme: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    expect((await admin.json("POST", "/api/domains", { name: "acme" })).status).toBe(201)
    acme = admin.inDomain("acme")
  })
  afterAll(() => server.dispose())

  const events = () => Effect.runPromise(server.store.readAll(1, 100_000))

  it("creates, reads, merges and deletes a record with ETag and App-Event-Position on every mutation", async () => {
    const created = await acme.json("POST", "/machhub/products", { name: "bolt", price: 2.5, tags: ["m8"] })
    expect(created.status).toBe(201)
    expect(created.body.success).toBe(true)
    expect(created.body.id).toMatch(/^acme\.products:[0-9a-f-]{36}$/)
    expect(created.body.record).toMatchObject({ name: "bolt", price: 2.5, tags: ["m8"], id: created.body.id, _meta: { version: 1 } })
    expect(created.body.record._meta.creator).toMatch(/^user:/)
    expect(created.headers.get("etag")).toBe('"1"')
    const position = Number(created.headers.get("app-event-position"))
    expect(position).toBeGreaterThan(0)

    const read = await acme.json("GET", `/machhub/${created.body.id}`)
    expect(read.status).toBe(200)
    expect(read.body).toEqual(created.body.record)

    const merged = await acme.json("PUT", `/machhub/${created.body.id}`, { price: 3, stock: 10, id: "ignored", _meta: { version: 99 } })
    expect(merged.status).toBe(200)
    expect(merged.body.record).toMatchObject({ name: "bolt", price: 3, stock: 10, tags: ["m8"], _meta: { version: 2 } })
    expect(merged.headers.get("etag")).toBe('"2"')
    expect(Number(merged.headers.get("app-event-position"))).toBeGreaterThan(position)
    const updated = (await events()).find((e) => e.type === "RecordUpdated")
    expect(updated?.data).toEqual({ table: "products", id: created.body.id.split(":")[1], changes: { price: 3, stock: 10 } })
    expect(updated?.meta.actor.kind).toBe("user")

    const deleted = await acme.json("DELETE", `/machhub/${created.body.id}`)
    expect(deleted.status).toBe(200)
    expect(deleted.headers.get("etag")).toBe('"3"')
    expect((await acme.json("GET", `/machhub/${created.body.id}`)).status).toBe(404)
    expect((await acme.json("PUT", `/machhub/${created.body.id}`, { price: 1 })).status).toBe(404)
  })

  it("refuses a stale If-Match with 412 and accepts the current one", async () => {
    const created = await acme.json("POST", "/machhub/products", { name: "nut" })
    const stale = await acme.json("PUT", `/machhub/${created.body.id}`, { name: "nut2" }, { "If-Match": '"7"' })
    expect(stale.status).toBe(412)
    const fresh = await acme.json("PUT", `/machhub/${created.body.id}`, { name: "nut2" }, { "If-Match": '"1"' })
    expect(fresh.status).toBe(200)
    expect((await acme.json("DELETE", `/machhub/${created.body.id}`, undefined, { "If-Match": '"1"' })).status).toBe(412)
    expect((await acme.json("PUT", `/machhub/${created.body.id}`, { name: "x" }, { "If-Match": "garbage" })).status).toBe(400)
  })

  it("answers a retried Idempotency-Key with the first answer and appends nothing", async () => {
    const headers = { "Idempotency-Key": "order-42" }
    const first = await acme.json("POST", "/machhub/orders", { qty: 1 }, headers)
    const before = (await events()).length
    const again = await acme.json("POST", "/machhub/orders", { qty: 1 }, headers)
    expect(again.status).toBe(first.status)
    expect(again.body).toEqual(first.body)
    expect((await events()).length).toBe(before)
    const put1 = await acme.json("PUT", `/machhub/${first.body.id}`, { qty: 2 }, { "Idempotency-Key": "bump-1" })
    const put2 = await acme.json("PUT", `/machhub/${first.body.id}`, { qty: 2 }, { "Idempotency-Key": "bump-1" })
    expect(put2.body.record._meta.version).toBe(put1.body.record._meta.version)
    expect((await events()).length).toBe(before + 1)
    expect((await acme.json("GET", "/machhub/orders/all")).status).not.toBe(500)
  })

  it("accepts a multipart body with a record field", async () => {
    const boundary = "----machhub123"
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nignored\r\n--${boundary}\r\nContent-Disposition: form-data; name="record"\r\nContent-Type: application/json\r\n\r\n{"name":"washer","price":0.1}\r\n--${boundary}--\r\n`
    const response = await acme.request("POST", "/machhub/products", undefined, { "content-type": `multipart/form-data; boundary=${boundary}` })
    expect(response.status).toBe(400) // no body at all
    const ok = await fetch(`${server.url}/machhub/products`, {
      method: "POST",
      headers: { authorization: `Bearer ${acme.token}`, domain: "domains:acme", "content-type": `multipart/form-data; boundary=${boundary}` },
      body
    })
    expect(ok.status).toBe(201)
    expect(((await ok.json()) as { record: { name: string } }).record.name).toBe("washer")
  })

  it("validates writes against the collection's JSON Schema, naming the failing field", async () => {
    const schema = { type: "object", required: ["serial"], properties: { serial: { type: "string" }, rpm: { type: "number", minimum: 0 } } }
    expect((await acme.json("POST", "/api/collections", { name: "spindles", schema })).status).toBe(201)
    expect((await acme.json("POST", "/api/collections", { name: "broken", schema: { type: "nonsense" } })).status).toBe(422)
    const missing = await acme.json("POST", "/machhub/spindles", { rpm: 5 })
    expect(missing.status).toBe(422)
    expect(missing.body).toMatch(/field serial/)
    const negative = await acme.json("POST", "/machhub/spindles", { serial: "S1", rpm: -1 })
    expect(negative.status).toBe(422)
    expect(negative.body).toMatch(/field rpm/)
    const ok = await acme.json("POST", "/machhub/spindles", { serial: "S1", rpm: 1200 })
    expect(ok.status).toBe(201)
    expect((await acme.json("PUT", `/machhub/${ok.body.id}`, { rpm: "fast" })).status).toBe(422)
  })

  it("lets anonymous callers use a public collection, recorded as actor anonymous, and nothing else", async () => {
    expect((await acme.json("POST", "/api/collections", { name: "guestbook", access: { public: { read: true, write: true } } })).status).toBe(201)
    const anonymous = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, { method, headers: { domain: "domains:acme", "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const signed = await anonymous("POST", "/machhub/guestbook", { message: "hello" })
    expect(signed.status).toBe(201)
    const record = ((await signed.json()) as { id: string; record: { _meta: { creator: string } } })
    expect(record.record._meta.creator).toBe("anonymous:anonymous")
    expect((await anonymous("GET", `/machhub/${record.id}`)).status).toBe(200)
    expect((await anonymous("POST", "/machhub/products", { name: "free" })).status).toBe(401)
    expect((await anonymous("GET", `/machhub/acme.products:whatever`)).status).toBe(401)
    const created = (await events()).find((e) => e.type === "RecordCreated" && (e.data as { table: string }).table === "guestbook")
    expect(created?.meta.actor).toEqual({ kind: "anonymous", id: "anonymous" })
  })

  it("limits a self-scope caller to its own records, and read/read-write apply", async () => {
    const writer = await seedDomainUser(admin, { domain: "acme", username: "sam", group: "writers-self", permissions: [{ feature: "collections", action: "read-write", scope: "self" }] })
    const reader = await seedDomainUser(admin, { domain: "acme", username: "rita", group: "readers", permissions: [{ feature: "collections", action: "read", scope: "domain" }] })
    const mine = await writer.api.json("POST", "/machhub/notes", { text: "sam's" })
    expect(mine.status).toBe(201)
    const theirs = await acme.json("POST", "/machhub/notes", { text: "admin's" })
    expect((await writer.api.json("GET", `/machhub/${theirs.body.id}`)).status).toBe(404)
    expect((await writer.api.json("PUT", `/machhub/${theirs.body.id}`, { text: "hacked" })).status).toBe(404)
    expect((await writer.api.json("DELETE", `/machhub/${theirs.body.id}`)).status).toBe(404)
    expect((await writer.api.json("PUT", `/machhub/${mine.body.id}`, { text: "edited" })).status).toBe(200)
    expect((await reader.api.json("GET", `/machhub/${theirs.body.id}`)).status).toBe(200)
    expect((await reader.api.json("POST", "/machhub/notes", { text: "nope" })).status).toBe(403)
    expect((await reader.api.json("PUT", `/machhub/${theirs.body.id}`, { text: "nope" })).status).toBe(403)
  })

  it("never reaches another domain's record, and refuses bad input with 4xx", async () => {
    const other = await seedDomainUser(admin, { domain: "globex", username: "gus", group: "all", permissions: [{ feature: "collections", action: "read-write", scope: "domain" }] })
    const secret = await acme.json("POST", "/machhub/products", { name: "secret" })
    expect((await other.api.json("GET", `/machhub/${secret.body.id}`)).status).toBe(404)
    expect((await other.api.json("PUT", `/machhub/${secret.body.id}`, { name: "x" })).status).toBe(404)
    expect((await other.api.json("DELETE", `/machhub/${secret.body.id}`)).status).toBe(404)
    expect((await acme.json("POST", "/machhub/products", [1, 2])).status).toBe(422)
    expect((await acme.json("POST", "/machhub/products", "text")).status).toBe(422)
    expect((await acme.json("POST", "/machhub/bad-name", { a: 1 })).status).toBe(400)
    expect((await acme.json("POST", "/machhub/tag", { a: 1 })).status).toBe(400)
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = { d: deep }
    expect((await acme.json("POST", "/machhub/products", { deep })).status).toBe(422)
    expect((await acme.json("GET", "/machhub/not-an-id")).status).toBe(404)
    expect((await acme.json("GET", "/machhub/acme.products:'; DROP TABLE r1; --")).status).toBe(404)
    expect((await acme.json("POST", "/machhub/products", { a: 1 }, { "Idempotency-Key": "" })).status).toBe(400)
  })
})
