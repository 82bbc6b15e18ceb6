import { describe, expect, it } from "vitest"
import { MAX_TOPIC_BYTES, validateTopicFilter, validateTopicName } from "../../apps/server/src/tags/topicName.js"

const refusal = (check: { ok: boolean; message?: string }): string => (check.ok ? "accepted" : check.message!)

describe("topic names", () => {
  it.each([
    "Plant1/LineA/Temperature",
    "a",
    "/leading/slash",
    "trailing/",
    "empty//level",
    "with space/and-dash_under.score",
    "Ünïcödé/温度/🌡️",
    "a$b"
  ])("accepts %j", (topic) => {
    expect(validateTopicName(topic)).toEqual({ ok: true })
  })

  it("accepts a topic of exactly the byte limit, counted in UTF-8", () => {
    expect(validateTopicName("a".repeat(MAX_TOPIC_BYTES))).toEqual({ ok: true })
    expect(validateTopicName("é".repeat(MAX_TOPIC_BYTES / 2))).toEqual({ ok: true })
  })

  it.each([
    ["", "empty"],
    ["a/+/b", "wildcard '+'"],
    ["a/#", "wildcard '#'"],
    ["a+b", "wildcard '+'"],
    ["a\u0000b", "NUL"],
    ["a\nb", "U+000A"],
    ["a\u0085b", "U+0085"],
    ["$SYS/broker", "reserved"],
    ["bad\uD800", "unpaired surrogate"],
    ["\uDC00bad", "unpaired surrogate"],
    ["a".repeat(MAX_TOPIC_BYTES + 1), "513 bytes"],
    ["é".repeat(MAX_TOPIC_BYTES / 2 + 1), "514 bytes"]
  ])("refuses %j naming the problem", (topic, problem) => {
    expect(refusal(validateTopicName(topic))).toContain(problem)
  })

  it("refuses what is not a string", () => {
    expect(refusal(validateTopicName(42))).toBe("the topic must be a string")
  })
})

describe("topic filters", () => {
  it.each(["a/b", "+", "#", "a/+/c", "a/#", "+/+/#", "/+", "a//#"])("accepts %j", (filter) => {
    expect(validateTopicFilter(filter)).toEqual({ ok: true, filter })
  })

  it.each([
    ["a/b#", "'#' must be a whole level"],
    ["a/#/b", "'#' must be a whole level and the last one"],
    ["a/b+", "'+' must be a whole level"],
    ["++", "'+' must be a whole level"],
    ["", "empty"],
    ["$SYS/#", "reserved"],
    ["a\u0000", "NUL"],
    ["a/".repeat(300), "bytes long"]
  ])("refuses %j naming the problem", (filter, problem) => {
    expect(refusal(validateTopicFilter(filter))).toContain(problem)
  })

  it("reads a shared subscription's name and filter", () => {
    expect(validateTopicFilter("$share/workers/Plant1/+/Temperature")).toEqual({ ok: true, filter: "Plant1/+/Temperature", shareName: "workers" })
    expect(refusal(validateTopicFilter("$share/workers"))).toContain("$share/<name>/<filter>")
    expect(refusal(validateTopicFilter("$share//a"))).toContain("$share/<name>/<filter>")
    expect(refusal(validateTopicFilter("$share/w+/a"))).toContain("$share/<name>/<filter>")
    expect(refusal(validateTopicFilter("$share/w/a#"))).toContain("'#' must be a whole level")
    expect(refusal(validateTopicFilter("$share/w/$share/v/a"))).toContain("another shared subscription")
  })
})
