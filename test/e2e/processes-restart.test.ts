import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { knownCommand, RUN_CATEGORY, SCHEDULE_CATEGORY, scheduleAggregateId, uuidv7, type CommandReply } from "@machhub/core"
import { adminApi, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/** Polls until `check` answers something (no timing assertion: only a bound on waiting). */
const eventually = async <T>(check: () => Promise<T | undefined>, what: string, tries = 300): Promise<T> => {
  for (let i = 0; i < tries; i++) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`gave up waiting for ${what}`)
}

const runs = async (api: Api, query: string) => (await api.json("GET", `/api/runs?${query}`)).body as Array<any>

describe("processes across restarts", () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it("ends a run left running by a stopped server as failed (interrupted) at the next start", async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const first = await startTestServer({ dataDir: dir.path })
    // What a crash leaves: RunStarted with no end. The first names another edge (still running there).
    const start = (runId: string, node?: string) =>
      Effect.runPromise(first.commands.dispatch(knownCommand({
        id: uuidv7(),
        type: "startRun",
        category: RUN_CATEGORY,
        domain: "machhub_admin",
        aggregateId: runId,
        actor: { kind: "system", id: "test" },
        payload: { kind: "process", name: "long", trigger: { type: "manual" }, ...(node === undefined ? {} : { node }) },
        correlationId: uuidv7(),
        newAggregate: true
      })))
    const elsewhere = uuidv7()
    await start(elsewhere, "another-edge")
    const runId = uuidv7()
    await start(runId)
    await first.stop()

    const second = await startTestServer({ dataDir: dir.path })
    cleanups.push(() => second.stop())
    const admin = await adminApi(second.url)
    const run = await eventually(async () => {
      const answer = await admin.json("GET", `/api/runs/${runId}`)
      return answer.body.status === "failed" ? answer.body : undefined
    }, "the interrupted run to end")
    expect(run.reason).toBe("interrupted")
    const history = await admin.json("GET", `/api/audit/streams/run-machhub_admin-${runId}`)
    const types = (Array.isArray(history.body) ? history.body : history.body.events).map((e: any) => e.type)
    expect(types).toEqual(["RunStarted", "RunFailed"])
    // Runs are visited in start order: the other edge's was passed over before this one ended.
    expect((await admin.json("GET", `/api/runs/${elsewhere}`)).body.status).toBe("running")
  }, 60_000)

  it("fires an interval slot that fell due while the server was down once at start", async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const first = await startTestServer({ dataDir: dir.path })
    const admin = await adminApi(first.url)
    const created = await admin.json("POST", "/api/processes", {
      name: "tick",
      language: "javascript",
      code: "return context.trigger.data",
      triggers: [{ type: "interval", config: { interval_value: 2, interval_unit: "s" } }]
    })
    expect(created.status).toBe(201)
    await eventually(async () => ((await runs(admin, "name=tick&status=finished")).length > 0 ? true : undefined), "a first interval run")
    await first.stop()
    // Down for longer than the interval: at least one slot falls due meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2_500))

    const second = await startTestServer({ dataDir: dir.path })
    cleanups.push(() => second.stop())
    const again = await adminApi(second.url)
    const missed = await eventually(async () => {
      const list = (await runs(again, "name=tick&status=finished")).filter((r) => r.trigger.data?.missed === true)
      return list.length > 0 ? list : undefined
    }, "the missed slot's run")
    expect(missed).toHaveLength(1)
  }, 60_000)

  it("lets one claim of a schedule slot win when two arrive at once", async () => {
    const server = await startTestServer()
    cleanups.push(() => server.dispose())
    const slot = Date.UTC(2030, 0, 1)
    const claim = () =>
      Effect.runPromise(Effect.result(server.commands.dispatch(knownCommand({
        id: uuidv7(),
        type: "fireSchedule",
        category: SCHEDULE_CATEGORY,
        domain: "machhub_admin",
        aggregateId: scheduleAggregateId("avg", 0),
        actor: { kind: "system", id: "test" },
        payload: { process: "avg", trigger: 0, slot },
        correlationId: uuidv7()
      }))))
    const outcomes = await Promise.all([claim(), claim(), claim()])
    const won = outcomes.filter((o) => o._tag === "Success" && (o.success as CommandReply).eventCount === 1)
    expect(won).toHaveLength(1)
    const events = await Effect.runPromise(server.store.readStream(`schedule-machhub_admin-${scheduleAggregateId("avg", 0)}`))
    expect(events.map((e) => e.type)).toEqual(["ScheduleFired"])
  }, 60_000)
})
