import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/** Polls until `check` answers something (no timing assertion: only a bound on waiting). */
const eventually = async <T>(check: () => Promise<T | undefined>, what: string, tries = 200): Promise<T> => {
  for (let i = 0; i < tries; i++) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`gave up waiting for ${what}`)
}

const runsOf = async (api: Api, name: string, status?: string) =>
  (await api.json("GET", `/api/runs?name=${encodeURIComponent(name)}${status === undefined ? "" : `&status=${status}`}`)).body as Array<any>

describe("processes over HTTP", () => {
  let server: TestServer
  let admin: Api
  let plant: Api

  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    const seeded = await seedDomainUser(admin, {
      domain: "plant",
      username: "engineer",
      group: "engineers",
      permissions: [
        { feature: "processes", action: "read-write", scope: "domain" },
        { feature: "functions", action: "read-write", scope: "domain" },
        { feature: "tags", action: "read-write", scope: "domain" },
        { feature: "collections", action: "read-write", scope: "domain" }
      ]
    })
    plant = seeded.api
  }, 60_000)

  afterAll(async () => {
    await server?.dispose()
  })

  it("creates a process, lists it, and refuses a duplicate name", async () => {
    const created = await plant.json("POST", "/api/processes", {
      name: "double",
      language: "typescript",
      code: "const n: number = context.inputs.n; return { value: n * 2 }",
      triggers: [{ type: "manual" }]
    })
    expect(created.status).toBe(201)
    expect(created.body.process).toMatchObject({ name: "double", enabled: true, language: "typescript", version: 1, owner: "engineer", domain_id: "plant" })
    expect(created.headers.get("etag")).toBe('"1"')
    const list = await plant.json("GET", "/api/processes")
    expect(list.body.map((p: any) => p.name)).toEqual(["double"])
    expect((await plant.json("GET", "/machhub/processes/domain")).body[0].id).toBe("plant.double")
    const again = await plant.json("POST", "/api/processes", { name: "double", code: "return 1" })
    expect(again.status).toBe(409)
  })

  it("runs it with POST /machhub/processes/execute and records the run with its trigger and actor", async () => {
    const run = await plant.json("POST", "/machhub/processes/execute", { name: "double", input: { n: 21 } })
    expect(run.status).toBe(200)
    expect(run.body).toEqual({ value: 42 })
    const runId = run.headers.get("app-run-id")!
    const detail = await plant.json("GET", `/api/runs/${runId}`)
    expect(detail.status).toBe(200)
    expect(detail.body).toMatchObject({ id: runId, kind: "process", name: "double", status: "finished", result: { value: 42 }, trigger: { type: "manual" } })
    expect(detail.body.actor.kind).toBe("user")
    const types = (await admin.inDomain("plant").json("GET", `/api/audit/streams/run-plant-${runId}`)).body
    const names = (Array.isArray(types) ? types : types.events ?? []).map((e: any) => e.type)
    expect(names).toEqual(["RunStarted", "RunFinished"])
  })

  it("refuses code that does not compile with 422 naming the line", async () => {
    const bad = await plant.request("POST", "/api/processes", { name: "broken", code: "const a = 1\nreturn a +* 2" })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toMatch(/line 2/)
  })

  it("refuses a cron expression that does not parse with 400 naming it", async () => {
    const bad = await plant.request("POST", "/api/processes", { name: "badcron", code: "return 1", triggers: [{ type: "cron", config: { cron_expression: "61 * * * *" } }] })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('"61 * * * *"')
  })

  it("answers 404 for an unknown process or function", async () => {
    expect((await plant.request("POST", "/machhub/processes/execute", { name: "nope" })).status).toBe(404)
    expect((await plant.request("POST", "/machhub/function/execute", { name: "nope", payload: {} })).status).toBe(404)
    expect((await plant.request("GET", "/api/processes/nope")).status).toBe(404)
  })

  it("ends a throwing run failed with the reason, and the server keeps answering", async () => {
    await plant.json("POST", "/api/processes", { name: "thrower", language: "javascript", code: "throw new Error('boom')" })
    const run = await plant.request("POST", "/machhub/processes/execute", { name: "thrower" })
    expect(run.status).toBe(422)
    expect(await run.text()).toContain("boom")
    const failed = await runsOf(plant, "thrower", "failed")
    expect(failed).toHaveLength(1)
    expect(failed[0].reason).toContain("boom")
    expect((await plant.request("GET", "/api/processes")).status).toBe(200)
  })

  it("runs an http trigger at POST /process/<endpoint> with the body merged into inputs, then applies outputs", async () => {
    const created = await plant.json("POST", "/api/processes", {
      name: "intake",
      language: "javascript",
      code: "sdk.log('got', context.inputs.temp); return { status: context.inputs.temp > 50 ? 'hot' : 'ok', reading: { temp: context.inputs.temp } }",
      triggers: [{ type: "http", config: { endpoint: "oven/intake" } }],
      outputs: [
        { type: "tag_write", config: { tag: "Plant/Oven/Status", field: "status" } },
        { type: "record_write", config: { collection: "readings", field: "reading" } }
      ]
    })
    expect(created.status).toBe(201)
    const run = await plant.json("POST", "/process/oven/intake", { temp: 71 })
    expect(run.status).toBe(200)
    expect(run.body.status).toBe("hot")
    expect((await plant.json("GET", "/machhub/tag/value/Plant/Oven/Status")).body.value).toBe("hot")
    const records = (await plant.json("GET", "/machhub/readings/all")).body
    expect(records.map((r: any) => r.temp)).toEqual([71])
    const detail = (await plant.json("GET", `/api/runs/${run.headers.get("app-run-id")}`)).body
    expect(detail.trigger.type).toBe("http")
    expect(detail.steps.map((s: any) => s.step)).toEqual(["tag_write", "record_write"])
    expect(detail.logs.map((l: any) => l.message)).toEqual(["got 71"])
    expect((await plant.request("POST", "/process/oven/nothing", {})).status).toBe(404)
  })

  it("reads tag and query inputs as the owner, wildcards giving a map", async () => {
    await plant.json("POST", "/machhub/tag/batch", [{ topic: "Line/1/Temp", value: 20 }, { topic: "Line/2/Temp", value: 30 }])
    const created = await plant.json("POST", "/api/processes", {
      name: "average",
      language: "javascript",
      code: "const v = Object.values(context.inputs.temps); return { avg: v.reduce((a, b) => a + b, 0) / v.length, one: context.inputs.one, hot: context.inputs.hot.length }",
      inputs: [
        { name: "temps", type: "tag", config: { tag: "Line/+/Temp" } },
        { name: "one", type: "tag", config: { tag: "Line/1/Temp" } },
        { name: "hot", type: "query", config: { collection: "readings", filter: { temp: 71 } } }
      ]
    })
    expect(created.status).toBe(201)
    const run = await plant.json("POST", "/machhub/processes/execute", { name: "average" })
    expect(run.body).toEqual({ avg: 25, one: 20, hot: 1 })
  })

  it("runs a tag_change trigger with the value in trigger.data.payload", async () => {
    await plant.json("POST", "/api/processes", {
      name: "onchange",
      language: "javascript",
      code: "return { seen: context.trigger.data.payload, topic: context.trigger.data.topic }",
      triggers: [{ type: "tag_change", config: { tag: "Machines/+/State" } }]
    })
    await plant.json("POST", "/machhub/tag/Machines/M1/State", { value: "stopped" })
    const runs = await eventually(async () => {
      const list = await runsOf(plant, "onchange", "finished")
      return list.length > 0 ? list : undefined
    }, "the tag_change run")
    expect(runs[0].result).toEqual({ seen: "stopped", topic: "Machines/M1/State" })
    expect(runs[0].trigger.type).toBe("tag_change")
    expect(runs[0].actor).toEqual({ kind: "system", id: "trigger:tag_change" })
  })

  it("cuts a chain of tag_change runs that trigger each other after 8 runs", async () => {
    for (const [name, from, to] of [["ping", "Loop/A", "Loop/B"], ["pong", "Loop/B", "Loop/A"]] as const) {
      const created = await plant.json("POST", "/api/processes", {
        name,
        language: "javascript",
        code: "return context.trigger.data.payload + 1",
        triggers: [{ type: "tag_change", config: { tag: from } }],
        outputs: [{ type: "tag_write", config: { tag: to } }]
      })
      expect(created.status).toBe(201)
    }
    await plant.json("POST", "/machhub/tag/Loop/A", { value: 0 })
    const all = async () => [...(await runsOf(plant, "ping")), ...(await runsOf(plant, "pong"))]
    await eventually(async () => {
      const runs = await all()
      return runs.length >= 8 && runs.every((r) => r.status !== "running") ? true : undefined
    }, "the chain to stop")
    expect(await all()).toHaveLength(8)
    expect((await plant.json("GET", "/machhub/tag/value/Loop/A")).body.value).toBe(8)
  })

  it("runs an interval trigger on its own", async () => {
    await plant.json("POST", "/api/processes", {
      name: "ticker",
      language: "javascript",
      code: "return context.trigger.type",
      triggers: [{ type: "interval", config: { interval_value: 1, interval_unit: "s" } }]
    })
    const runs = await eventually(async () => {
      const list = await runsOf(plant, "ticker", "finished")
      return list.length > 0 ? list : undefined
    }, "an interval run")
    expect(runs[0].result).toBe("interval")
    // Disabled: triggers stop (manual execution still works).
    const current = (await plant.json("GET", "/api/processes/ticker")).body
    expect((await plant.json("PUT", "/api/processes/ticker", { ...current, enabled: false })).status).toBe(200)
    expect((await plant.json("POST", "/machhub/processes/execute", { name: "ticker" })).body).toBe("manual")
  })

  it("runs a cron trigger (six fields: seconds first) in the trigger's time zone, and refuses an unknown zone", async () => {
    const created = await plant.json("POST", "/api/processes", {
      name: "everysecond",
      language: "javascript",
      code: "return context.trigger.config.timezone",
      triggers: [{ type: "cron", config: { cron_expression: "* * * * * *", timezone: "Europe/Berlin" } }]
    })
    expect(created.status).toBe(201)
    const runs = await eventually(async () => {
      const list = await runsOf(plant, "everysecond", "finished")
      return list.length > 0 ? list : undefined
    }, "a cron run")
    expect(runs[0].result).toBe("Europe/Berlin")
    expect(runs[0].trigger.type).toBe("cron")
    expect((await plant.json("DELETE", "/api/processes/everysecond")).status).toBe(200)
    const bad = await plant.request("POST", "/api/processes", { name: "mars", code: "return 1", triggers: [{ type: "cron", config: { cron_expression: "* * * * *", timezone: "Mars/Olympus" } }] })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain("Mars/Olympus")
  })

  it("shows runs only to callers who may read their kind", async () => {
    const outsider = await seedDomainUser(admin, { domain: "plant", username: "outsider", group: "nobody", permissions: [{ feature: "tags", action: "read", scope: "domain" }] })
    expect((await outsider.api.request("GET", "/api/runs")).status).toBe(403)
    const some = (await runsOf(plant, "double"))[0]
    expect((await outsider.api.request("GET", `/api/runs/${some.id}`)).status).toBe(404)
    expect((await plant.request("GET", "/api/runs?status=sleeping")).status).toBe(400)
  })

  it("changes triggers with PUT /machhub/processes/triggers/<id>", async () => {
    const changed = await plant.json("PUT", "/machhub/processes/triggers/plant.double", { triggers: [{ type: "http", config: { endpoint: "double" } }] })
    expect(changed.status).toBe(200)
    expect(changed.body.process.triggers).toEqual([{ type: "http", config: { endpoint: "double" } }])
    expect((await plant.json("POST", "/process/double", { n: 2 })).body).toEqual({ value: 4 })
    expect((await plant.request("PUT", "/machhub/processes/triggers/double", { triggers: [{ type: "cron", config: { cron_expression: "nonsense" } }] })).status).toBe(400)
  })

  it("exports without runtime fields and imports into another domain", async () => {
    const exported = await plant.json("GET", "/api/processes/export?name=double")
    expect(exported.status).toBe(200)
    expect(exported.body).toHaveLength(1)
    for (const field of ["enabled", "log_enabled", "version", "id", "domain_id", "owner"]) expect(exported.body[0]).not.toHaveProperty(field)
    await admin.json("POST", "/api/domains", { name: "lab" })
    const lab = admin.inDomain("lab")
    const imported = await lab.json("POST", "/api/processes/import", exported.body)
    expect(imported.status).toBe(200)
    expect(imported.body.imported).toEqual(["double"])
    expect((await lab.json("POST", "/machhub/processes/execute", { name: "double", input: { n: 5 } })).body).toEqual({ value: 10 })
  })

  it("acts with the owner's permissions only: a process of an owner without tag writes cannot publish", async () => {
    const reader = await seedDomainUser(admin, {
      domain: "plant",
      username: "reader",
      group: "process-writers",
      permissions: [{ feature: "processes", action: "read-write", scope: "domain" }]
    })
    const created = await reader.api.json("POST", "/api/processes", { name: "sneaky", language: "javascript", code: "await sdk.tags.publish('Plant/Oven/Status', 'pwned'); return 1" })
    expect(created.status).toBe(201)
    const run = await plant.request("POST", "/machhub/processes/execute", { name: "sneaky" })
    expect(run.status).toBe(422)
    expect(await run.text()).toContain("tags:read-write")
    expect((await plant.json("GET", "/machhub/tag/value/Plant/Oven/Status")).body.value).toBe("hot")
  })

  it("does not reach another domain's records or processes", async () => {
    const lab = admin.inDomain("lab")
    const record = await lab.json("POST", "/machhub/secrets", { value: "lab-only" })
    expect(record.status).toBe(201)
    await plant.json("POST", "/api/processes", { name: "peek", language: "javascript", code: `return await sdk.collections.get(${JSON.stringify(record.body.id)})` })
    const run = await plant.request("POST", "/machhub/processes/execute", { name: "peek" })
    expect(run.status).toBe(422)
    expect(await run.text()).toContain("No record")
    expect((await lab.request("GET", "/api/processes/peek")).status).toBe(404)
  })
})

describe("functions over HTTP", () => {
  let server: TestServer
  let admin: Api

  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
  }, 60_000)

  afterAll(async () => {
    await server?.dispose()
  })

  it("creates a function and calls it by name or function_name", async () => {
    const created = await admin.json("POST", "/api/functions", { name: "add", language: "typescript", code: "const p: { a: number; b: number } = context.payload; return p.a + p.b" })
    expect(created.status).toBe(201)
    expect(created.body.function).toMatchObject({ name: "add", version: 1 })
    const called = await admin.json("POST", "/machhub/function/execute", { name: "add", payload: { a: 2, b: 3 } })
    expect(called.status).toBe(200)
    expect(called.body).toEqual({ success: true, result: 5 })
    expect((await admin.json("POST", "/machhub/function/execute", { function_name: "add", payload: { a: 1, b: 1 } })).body.result).toBe(2)
    const runs = (await admin.json("GET", "/api/runs?kind=function&name=add")).body
    expect(runs).toHaveLength(2)
    expect(runs.every((r: any) => r.kind === "function" && r.status === "finished" && r.trigger.type === "call")).toBe(true)
  })

  it("versions code changes, refuses bad code with 422, removes a function", async () => {
    const updated = await admin.json("PUT", "/api/functions/add", { language: "javascript", code: "return context.payload.a * 10" })
    expect(updated.body.function.version).toBe(2)
    const bad = await admin.request("PUT", "/api/functions/add", { code: "return (" })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toMatch(/line 1/)
    expect((await admin.json("DELETE", "/api/functions/add")).status).toBe(200)
    expect((await admin.request("POST", "/machhub/function/execute", { name: "add", payload: {} })).status).toBe(404)
  })

  it("ends a run over its CPU limit failed, and the server keeps answering", async () => {
    await admin.json("POST", "/api/functions", { name: "spin", language: "javascript", code: "while (true) {}", limits: { cpu_ms: 200 } })
    const run = await admin.request("POST", "/machhub/function/execute", { name: "spin", payload: null })
    expect(run.status).toBe(422)
    expect((await admin.request("GET", "/api/functions")).status).toBe(200)
  })

  it("answers a large result whole but keeps a note of its size in the run", async () => {
    await admin.json("POST", "/api/functions", { name: "big", language: "javascript", code: "return 'x'.repeat(300 * 1024)" })
    const called = await admin.json("POST", "/machhub/function/execute", { name: "big", payload: null })
    expect(called.body.result).toHaveLength(300 * 1024)
    const run = (await admin.json("GET", `/api/runs/${called.headers.get("app-run-id")}`)).body
    expect(run.result._omitted).toMatch(/bytes of JSON/)
  })

  it("refuses a payload over the body limit with 413", async () => {
    const huge = await admin.request("POST", "/machhub/function/execute", { name: "spin", payload: "x".repeat(20 * 1024 * 1024) })
    expect(huge.status).toBe(413)
  })
})
