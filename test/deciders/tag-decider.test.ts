import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { fold, parseDuration, TAG_CATEGORY, tagAggregate, tagDecider, type Command, type TagDefined, type TagRemoved } from "@machhub/core"
import { spec } from "../support/decider-spec.js"

const topic = "Plant1/LineA/Temperature"
const define = (fields: Partial<Extract<Parameters<typeof tagDecider.decide>[0], { type: "defineTag" }>> = {}) =>
  ({ type: "defineTag" as const, topic, access: "RW" as const, ...fields })
const defined = (data: Partial<TagDefined["data"]> = {}): TagDefined => ({ type: "TagDefined", data: { topic, access: "RW", ...data } })
const removed: TagRemoved = { type: "TagRemoved", data: { topic } }
const historized = defined({ historize: { type: "timeseries", samplingTime: "1s", retention: "30d" } })

describe("tag decider: definitions", () => {
  it("defines a tag that was not defined", () => {
    spec(tagDecider).given([]).when(define({ description: "oven", access: "R" })).then([defined({ description: "oven", access: "R" })])
  })

  it("appends nothing when the tag is redefined as it is", () => {
    spec(tagDecider).given([defined({ description: "oven" })]).when(define({ description: "oven" })).then([])
  })

  it("records a change of description or access in full", () => {
    spec(tagDecider).given([defined({ description: "oven" })]).when(define({ access: "R" })).then([defined({ access: "R" })])
  })

  it("treats an empty description as none", () => {
    spec(tagDecider).given([]).when(define({ description: "" })).then([defined()])
  })

  it("refuses a description over 4096 characters as unprocessable", () => {
    spec(tagDecider).given([]).when(define({ description: "x".repeat(4097) })).rejects("unprocessable")
  })

  it("redefines a removed tag", () => {
    spec(tagDecider).given([defined(), removed]).when(define({ access: "R" })).then([defined({ access: "R" })])
  })

  it("records an explicit definition of an autocreated tag even when it matches, so it is no longer autocreated", () => {
    const auto = defined({ autocreated: true })
    spec(tagDecider).given([auto]).when(define()).then([defined()])
    expect(fold(tagDecider, [auto, defined()])).toEqual({ _tag: "Defined", definition: { topic, access: "RW" }, autocreated: false })
  })
})

describe("tag decider: historize settings", () => {
  it("sets historize settings with the historian permission", () => {
    spec(tagDecider).given([]).when(define({ historize: { type: "timeseries", samplingTime: "1s", retention: "30d" }, mayHistorize: true })).then([historized])
    spec(tagDecider).given([]).when(define({ historize: { type: "event" }, mayHistorize: true })).then([defined({ historize: { type: "event" } })])
  })

  it("refuses to change historize settings without the historian permission, in either direction", () => {
    spec(tagDecider).given([]).when(define({ historize: { type: "event" } })).rejects("forbidden")
    spec(tagDecider).given([historized]).when(define({ historize: null })).rejects("forbidden")
    spec(tagDecider).given([historized]).when(define({ historize: { type: "event" } })).rejects("forbidden")
  })

  it("keeps the current settings when historize is absent, so a tag editor without the historian permission can change the rest", () => {
    spec(tagDecider).given([historized]).when(define({ description: "oven" })).then([defined({ description: "oven", historize: historized.data.historize! })])
  })

  it("accepts the same settings again without the historian permission (nothing changes)", () => {
    spec(tagDecider).given([historized]).when(define({ historize: { type: "timeseries", samplingTime: "1s", retention: "30d" } })).then([])
  })

  it("stops historizing with null", () => {
    spec(tagDecider).given([historized]).when(define({ historize: null, mayHistorize: true })).then([defined()])
  })

  it("reads empty durations as absent", () => {
    spec(tagDecider).given([]).when(define({ historize: { type: "event", samplingTime: "", retention: "" }, mayHistorize: true }))
      .then([defined({ historize: { type: "event" } })])
  })

  it("refuses durations that do not parse as invalid", () => {
    for (const bad of ["5", "5 m", "1.5h", "0s", "-1m", "5ms", "1y", "01m", "m"]) {
      spec(tagDecider).given([]).when(define({ historize: { type: "timeseries", samplingTime: bad }, mayHistorize: true })).rejects("invalid")
      spec(tagDecider).given([]).when(define({ historize: { type: "event", retention: bad }, mayHistorize: true })).rejects("invalid")
    }
  })

  it("refuses settings that cannot work together as unprocessable", () => {
    const refuse = (historize: { type: "event" | "timeseries"; samplingTime?: string; retention?: string }) =>
      spec(tagDecider).given([]).when(define({ historize, mayHistorize: true })).rejects("unprocessable")
    refuse({ type: "timeseries" })
    refuse({ type: "event", samplingTime: "1s" })
    refuse({ type: "timeseries", samplingTime: "2w" })
    refuse({ type: "event", retention: "30s" })
    refuse({ type: "event", retention: "36501d" })
    refuse({ type: "timeseries", samplingTime: "1h", retention: "30m" })
  })

  it("accepts the bounds themselves", () => {
    spec(tagDecider).given([]).when(define({ historize: { type: "timeseries", samplingTime: "1w", retention: "36500d" }, mayHistorize: true }))
      .then([defined({ historize: { type: "timeseries", samplingTime: "1w", retention: "36500d" } })])
  })
})

describe("tag decider: autocreation and removal", () => {
  it("creates an undefined or removed tag as RW, not historized, marked autocreated", () => {
    spec(tagDecider).given([]).when({ type: "ensureTag", topic }).then([defined({ autocreated: true })])
    spec(tagDecider).given([historized, removed]).when({ type: "ensureTag", topic }).then([defined({ autocreated: true })])
  })

  it("leaves a defined tag as it is", () => {
    spec(tagDecider).given([defined({ access: "R" })]).when({ type: "ensureTag", topic }).then([])
  })

  it("removes a defined tag; a historized one only with the historian permission", () => {
    spec(tagDecider).given([defined()]).when({ type: "removeTag", topic }).then([removed])
    spec(tagDecider).given([historized]).when({ type: "removeTag", topic }).rejects("forbidden")
    spec(tagDecider).given([historized]).when({ type: "removeTag", topic, mayHistorize: true }).then([removed])
  })

  it("answers not found for a tag that is not defined", () => {
    spec(tagDecider).given([]).when({ type: "removeTag", topic }).rejects("not_found")
    spec(tagDecider).given([defined(), removed]).when({ type: "removeTag", topic }).rejects("not_found")
  })
})

describe("tag state", () => {
  it("is absent, then defined with the latest definition, then removed", () => {
    expect(fold(tagDecider, [])).toEqual({ _tag: "Absent" })
    expect(fold(tagDecider, [defined({ description: "a" }), historized])).toEqual({
      _tag: "Defined",
      definition: { topic, access: "RW", historize: { type: "timeseries", samplingTime: "1s", retention: "30d" } },
      autocreated: false
    })
    expect(fold(tagDecider, [defined(), removed])).toEqual({ _tag: "Removed", topic })
  })
})

describe("tag aggregate", () => {
  const command = (type: string, payload: unknown, aggregateId = topic): Command => ({
    id: "c1",
    type,
    category: TAG_CATEGORY,
    domain: "acme",
    aggregateId,
    actor: { kind: "user", id: "u1" },
    payload,
    correlationId: "corr"
  })

  it("names the topic after the stream, never the payload, and answers the definition", () => {
    const decision = Effect.runSync(tagAggregate.handle(command("defineTag", { topic: "Other/Topic", access: "R" }), tagAggregate.initialState()))
    expect(decision.events).toEqual([defined({ access: "R" })])
    expect(decision.result).toEqual({ topic, access: "R" })
  })

  it("answers undefined once removed", () => {
    const decision = Effect.runSync(tagAggregate.handle(command("removeTag", {}), fold(tagDecider, [defined()])))
    expect(decision.events).toEqual([removed])
    expect(decision.result).toBeUndefined()
  })

  it("refuses payloads of the wrong shape and unknown commands as invalid", () => {
    for (const bad of [
      command("defineTag", {}),
      command("defineTag", { access: "W" }),
      command("defineTag", { access: "RW", historize: { type: "sampled" } }),
      command("defineTag", { access: "RW", historize: { type: "timeseries", samplingTime: 5 } }),
      command("renameTag", {})
    ]) {
      const refusal = Effect.runSync(Effect.flip(tagAggregate.handle(bad, tagAggregate.initialState())))
      expect(refusal.reason).toBe("invalid")
    }
  })
})

describe("durations", () => {
  it("reads <n>s|m|h|d|w as milliseconds", () => {
    expect(parseDuration("30s")).toBe(30_000)
    expect(parseDuration("5m")).toBe(300_000)
    expect(parseDuration("24h")).toBe(86_400_000)
    expect(parseDuration("7d")).toBe(604_800_000)
    expect(parseDuration("2w")).toBe(1_209_600_000)
    expect(parseDuration("1.5h")).toBeUndefined()
    expect(parseDuration("")).toBeUndefined()
  })
})
