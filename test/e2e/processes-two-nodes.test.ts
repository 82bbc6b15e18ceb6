import { cpSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { adminApi, api, type Api } from "../support/api.js"
import { describeWithNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { loginAsAdmin, startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

const eventually = async <T>(what: string, attempt: () => Promise<T | undefined>, tries = 400): Promise<T> => {
  for (let i = 0; i < tries; i++) {
    const value = await attempt()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`gave up waiting for ${what}`)
}

/**
 * Two nodes (edge, actors, read models each) on one JetStream log: both arm the same interval
 * trigger, and each slot runs once, on whichever node's claim was appended first.
 */
describeWithNats("process schedules across two nodes", () => {
  let nats: NatsTestServer
  let a: TestServer
  let b: TestServer
  const bDir = tempDir()
  beforeAll(async () => {
    nats = await startNatsServer()
    const shared = { natsUrl: nats.url, store: "jetstream" as const, jetstreamStream: `PROCESSES_TWO_NODES_${process.pid}` }
    a = await startTestServer(shared)
    cpSync(join(a.dataDir, "keys"), join(bDir.path, "keys"), { recursive: true })
    b = await startTestServer({ ...shared, dataDir: bDir.path })
  }, 60_000)
  afterAll(async () => {
    await b?.dispose()
    bDir.cleanup()
    await a?.dispose()
    await nats?.dispose()
  })

  it("runs each interval slot once although both nodes arm the trigger", async () => {
    const onA: Api = await adminApi(a.url)
    const created = await onA.json("POST", "/api/processes", {
      name: "shared-tick",
      language: "javascript",
      code: "return context.trigger.data.slot",
      triggers: [{ type: "interval", config: { interval_value: 1, interval_unit: "s" } }]
    })
    expect(created.status).toBe(201)
    const onB = api(b.url, await loginAsAdmin(b.url))
    // B has the process (its read model caught up), so its trigger is armed too.
    await eventually("B to know the process", async () => ((await onB.request("GET", "/api/processes/shared-tick")).status === 200 ? true : undefined))
    const runs = async () => (await onA.json("GET", "/api/runs?name=shared-tick&limit=1000")).body as Array<any>
    await eventually("several slots run", async () => ((await runs()).filter((r) => r.status === "finished").length >= 4 ? true : undefined))
    const current = (await onA.json("GET", "/api/processes/shared-tick")).body
    expect((await onA.json("PUT", "/api/processes/shared-tick", { ...current, enabled: false })).status).toBe(200)
    await eventually("runs in flight to end", async () => ((await runs()).every((r) => r.status !== "running") ? true : undefined))
    const slots = (await runs()).map((r) => r.trigger.data.slot)
    expect(new Set(slots).size).toBe(slots.length)
    const fired = (await onA.json("GET", "/api/audit/streams/schedule-machhub_admin-shared-tick%230")).body
    const events = Array.isArray(fired) ? fired : fired.events
    expect(events.length).toBe(slots.length)
  }, 60_000)
})
