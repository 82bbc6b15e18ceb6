import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/**
 * A request carrying App-Event-Position (as a write answered, maybe through another node) is answered
 * only once this node's read models have applied it. One node is enough to check the gate itself; the
 * cross-node case is in test/distributed.
 */
describe("App-Event-Position on a request", () => {
  let server: TestServer
  let admin: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
  })
  afterAll(() => server.dispose())

  it("answers at once for a position already applied", async () => {
    const created = await admin.json("POST", "/machhub/tools", { name: "wrench" })
    const position = created.headers.get("app-event-position")!
    const read = await admin.json("GET", `/machhub/${created.body.id}`, undefined, { "App-Event-Position": position })
    expect(read.status).toBe(200)
    expect(read.body.name).toBe("wrench")
  })

  it("refuses a malformed position with 400", async () => {
    for (const value of ["abc", "-1", "1.5", "99999999999999999999"]) {
      const read = await admin.json("GET", "/api/me", undefined, { "App-Event-Position": value })
      expect(read.status).toBe(400)
      expect(read.body).toMatch(/App-Event-Position must be a position as returned by a write/)
    }
  })

  it("answers 503 with Retry-After when the position is not reached within the wait", async () => {
    const head = Number((await admin.json("POST", "/machhub/tools", { name: "saw" })).headers.get("app-event-position"))
    const read = await admin.json("GET", "/api/me", undefined, { "App-Event-Position": String(head + 1_000_000) })
    expect(read.status).toBe(503)
    expect(read.headers.get("retry-after")).toBe("1")
    expect(read.body).toMatch(/have not reached position/)
  })

  it("holds a read until a later write is applied, then answers", async () => {
    const head = Number((await admin.json("POST", "/machhub/tools", { name: "drill" })).headers.get("app-event-position"))
    // Asks for the position of a write that has not happened yet; the write follows right after.
    const pending = admin.json("GET", "/machhub/tools/count", undefined, { "App-Event-Position": String(head + 1) })
    await admin.json("POST", "/machhub/tools", { name: "file" })
    const read = await pending
    expect(read.status).toBe(200)
    expect(read.body.count).toBe(4)
  })
})
