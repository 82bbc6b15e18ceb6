import { describe, expect, it } from "vitest"
import {
  fold,
  functionDecider,
  processDecider,
  runDecider,
  scheduleDecider,
  type FunctionSaved,
  type ProcessDefinition,
  type ProcessSaved,
  type RunStarted,
  type ScheduleFired
} from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const owner = { userId: "u1", username: "ann" }
const definition = (fields: Partial<ProcessDefinition> = {}): ProcessDefinition => ({
  name: "avg",
  enabled: true,
  log_enabled: true,
  language: "javascript",
  code: "return 1",
  triggers: [{ type: "manual" }],
  inputs: [],
  outputs: [],
  ...fields
})
const saved = (version: number, fields: Partial<ProcessDefinition> = {}): ProcessSaved => ({
  type: "ProcessSaved",
  data: { ...definition(fields), owner, version }
})
const save = (mode: "create" | "update" | "upsert", fields: Partial<ProcessDefinition> = {}) =>
  ({ type: "saveProcess" as const, name: "avg", mode, definition: definition(fields), owner })

describe("process decider", () => {
  it("creates a process at code version 1", () => {
    spec(processDecider).given([]).when(save("create")).then([saved(1)])
  })

  it("refuses to create a process that exists, and to update one that does not", () => {
    spec(processDecider).given([saved(1)]).when(save("create")).rejects("conflict")
    spec(processDecider).given([]).when(save("update")).rejects("not_found")
  })

  it("counts a code change as a new version, other changes keep it", () => {
    spec(processDecider).given([saved(1)]).when(save("update", { code: "return 2" })).then([saved(2, { code: "return 2" })])
    spec(processDecider).given([saved(1)]).when(save("update", { enabled: false })).then([saved(1, { enabled: false })])
  })

  it("appends nothing when saved as it is (an import of the same definition)", () => {
    spec(processDecider).given([saved(1)]).when(save("upsert")).then([])
  })

  it("refuses a definition naming another process than its stream", () => {
    spec(processDecider).given([]).when({ ...save("create"), definition: definition({ name: "other" }) }).rejects("invalid")
  })

  it("changes only the triggers", () => {
    const triggers = [{ type: "interval" as const, config: { interval_value: 5, interval_unit: "s" as const } }]
    spec(processDecider).given([saved(1)]).when({ type: "changeProcessTriggers", name: "avg", triggers })
      .then([{ type: "ProcessTriggersChanged", data: { name: "avg", triggers } }])
    const state = fold(processDecider, [saved(1), { type: "ProcessTriggersChanged", data: { name: "avg", triggers } }])
    expect(state._tag === "Deployed" && state.definition.triggers).toEqual(triggers)
    spec(processDecider).given([]).when({ type: "changeProcessTriggers", name: "avg", triggers }).rejects("not_found")
  })

  it("removes a deployed process, and a removed one is created again at the next version", () => {
    spec(processDecider).given([saved(3)]).when({ type: "removeProcess", name: "avg" }).then([{ type: "ProcessRemoved", data: { name: "avg" } }])
    spec(processDecider).given([saved(3), { type: "ProcessRemoved", data: { name: "avg" } }]).when({ type: "removeProcess", name: "avg" }).rejects("not_found")
    spec(processDecider).given([saved(3), { type: "ProcessRemoved", data: { name: "avg" } }]).when(save("create")).then([saved(4)])
  })
})

describe("function decider", () => {
  const fsaved = (version: number, code = "return 1"): FunctionSaved => ({ type: "FunctionSaved", data: { name: "f", language: "typescript", code, owner, version } })
  const fsave = (mode: "create" | "update" | "upsert", code = "return 1") =>
    ({ type: "saveFunction" as const, name: "f", mode, definition: { name: "f", language: "typescript" as const, code }, owner })

  it("creates, versions code changes and removes", () => {
    spec(functionDecider).given([]).when(fsave("create")).then([fsaved(1)])
    spec(functionDecider).given([fsaved(1)]).when(fsave("update", "return 2")).then([fsaved(2, "return 2")])
    spec(functionDecider).given([fsaved(1)]).when(fsave("create")).rejects("conflict")
    spec(functionDecider).given([]).when({ type: "removeFunction", name: "f" }).rejects("not_found")
    spec(functionDecider).given([fsaved(1)]).when({ type: "removeFunction", name: "f" }).then([{ type: "FunctionRemoved", data: { name: "f" } }])
  })
})

describe("run decider", () => {
  const started: RunStarted = { type: "RunStarted", data: { runId: "r1", kind: "process", name: "avg", trigger: { type: "manual" } } }

  it("starts a run once", () => {
    spec(runDecider).given([]).when({ type: "startRun", runId: "r1", kind: "process", name: "avg", trigger: { type: "manual" } }).then([started])
    spec(runDecider).given([started]).when({ type: "startRun", runId: "r1", kind: "process", name: "avg", trigger: { type: "manual" } }).rejects("conflict")
  })

  it("numbers steps in order", () => {
    const step0 = { type: "RunStepCompleted" as const, data: { runId: "r1", index: 0, step: "tag_write" } }
    spec(runDecider).given([started]).when({ type: "completeRunStep", runId: "r1", step: "tag_write" }).then([step0])
    spec(runDecider).given([started, step0]).when({ type: "completeRunStep", runId: "r1", step: "record_write", detail: { id: "x" } })
      .then([{ type: "RunStepCompleted", data: { runId: "r1", index: 1, step: "record_write", detail: { id: "x" } } }])
  })

  it("ends a run once, finished or failed", () => {
    spec(runDecider).given([started]).when({ type: "finishRun", runId: "r1", result: { a: 1 } })
      .then([{ type: "RunFinished", data: { runId: "r1", result: { a: 1 }, logs: [] } }])
    spec(runDecider).given([started]).when({ type: "failRun", runId: "r1", reason: "interrupted" })
      .then([{ type: "RunFailed", data: { runId: "r1", reason: "interrupted", logs: [] } }])
    const finished = { type: "RunFinished" as const, data: { runId: "r1", result: 1, logs: [] } }
    spec(runDecider).given([started, finished]).when({ type: "failRun", runId: "r1", reason: "interrupted" }).rejects("conflict")
    spec(runDecider).given([]).when({ type: "finishRun", runId: "r1", result: 1 }).rejects("not_found")
  })

  it("keeps at most 1000 log lines and says how many were left out", () => {
    const logs = Array.from({ length: 1500 }, (_, i) => ({ level: "info" as const, message: `line ${i}`, at: i }))
    const state = runDecider.decide({ type: "finishRun", runId: "r1", result: null, logs }, fold(runDecider, [started]))
    const event = (state as { success: ReadonlyArray<{ data: { logs: ReadonlyArray<{ message: string }> } }> }).success[0]!
    expect(event.data.logs).toHaveLength(1000)
    expect(event.data.logs[999]!.message).toBe("501 more lines left out")
  })
})

describe("schedule decider", () => {
  const fired = (slot: number): ScheduleFired => ({ type: "ScheduleFired", data: { process: "avg", trigger: 0, slot } })

  it("fires a slot once: a second claim of it or an earlier one conflicts", () => {
    spec(scheduleDecider).given([]).when({ type: "fireSchedule", process: "avg", trigger: 0, slot: 1000 }).then([fired(1000)])
    spec(scheduleDecider).given([fired(1000)]).when({ type: "fireSchedule", process: "avg", trigger: 0, slot: 1000 }).rejects("conflict")
    spec(scheduleDecider).given([fired(2000)]).when({ type: "fireSchedule", process: "avg", trigger: 0, slot: 1000 }).rejects("conflict")
    spec(scheduleDecider).given([fired(1000)]).when({ type: "fireSchedule", process: "avg", trigger: 0, slot: 2000, missed: true })
      .then([{ type: "ScheduleFired", data: { process: "avg", trigger: 0, slot: 2000, missed: true } }])
  })
})
