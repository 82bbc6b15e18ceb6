import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { RECORD_CATEGORY, recordAggregateId, streamName, uuidv7 } from "@machhub/core"
import { adminApi } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/**
 * A record whose stored history holds an event its aggregate's Schemas refuse (written by some other
 * release, or damaged): the server reads the history before that event, and names the event instead
 * of showing or deciding on a state past it.
 */
describe("a record history holding an event that does not decode", () => {
  const dir = tempDir()
  let server: TestServer | undefined
  afterAll(async () => {
    await server?.dispose()
    dir.cleanup()
  })

  it("answers asOf reads before the event, and a 500 naming it at or after it and to a change", async () => {
    server = await startTestServer({ dataDir: dir.path })
    const admin = await adminApi(server.url)
    const created = await admin.json("POST", "/machhub/parts", { name: "bolt" })
    expect(created.status).toBe(201)
    const publicId = created.body.id as string
    const domain = publicId.slice(0, publicId.indexOf("."))
    const localId = publicId.slice(publicId.indexOf(":") + 1)
    const createdAt = Number(created.headers.get("app-event-position"))
    await server.dispose()
    server = undefined

    // While no server runs: an update whose idempotency key is a number, which no release writes.
    const stream = streamName(RECORD_CATEGORY, domain, recordAggregateId("parts", localId))
    const appended = await Effect.runPromise(Effect.scoped(Effect.flatMap(makeSqliteEventStore({ path: `${dir.path}/events.db` }), (store) =>
      store.append(stream, 1, [{
        id: uuidv7(),
        type: "RecordUpdated",
        data: { table: "parts", id: localId, changes: { name: "nut" }, idempotencyKey: 42 },
        meta: { domain, actor: { kind: "system", id: "test" }, correlationId: uuidv7(), causationId: null, commandId: null, at: new Date().toISOString() }
      }]))))

    server = await startTestServer({ dataDir: dir.path })
    const again = await adminApi(server.url)
    const before = await again.json("GET", `/machhub/${publicId}?asOf=${createdAt}`)
    expect(before.status).toBe(200)
    expect(before.body).toMatchObject({ name: "bolt" })

    const after = await again.json("GET", `/machhub/${publicId}?asOf=${appended.position}`)
    expect(after.status).toBe(500)
    expect(after.body).toContain(`${stream} version 2 (RecordUpdated)`)
    expect(after.body).toContain("idempotencyKey")

    // A change is not decided on a state nobody can vouch for either.
    const update = await again.json("PUT", `/machhub/${publicId}`, { name: "washer" })
    expect(update.status).toBe(500)
    expect(update.body).toContain(`${stream} version 2 (RecordUpdated)`)
  })
})
