import { afterAll, describe, expect, it } from "vitest"
import type { ReportingMachineRow, DowntimeAnnotationRow } from "@machhub/projections"
import { openTagValues } from "../../apps/server/src/tags/values/TagValues.js"
import type { HistorizeSettings, TagValue } from "../../apps/server/src/tags/values/TagValue.js"
import { zoneOf, type Zone } from "../../apps/server/src/tags/values/timeZone.js"
import { computeReport, type ReportSources } from "../../apps/server/src/reporting/computeReport.js"
import { reportSummaries } from "../../apps/server/src/reporting/reportSummaries.js"
import { PRODUCTION_METRICS } from "../../apps/server/src/reporting/metrics.js"
import type { GroupKey, ReportRequest } from "../../apps/server/src/reporting/reportRequest.js"
import { addDays, localDateOf, localInstant } from "../../apps/server/src/reporting/localTime.js"
import { tempDir } from "../support/temp.js"

/**
 * Reports read whole hours from per-hour summaries and only the rest point by point. Whatever the
 * signals, the cuts (local midnights off the hour, shift edges on odd minutes, annotations, DST) and
 * the writes after a summary was made (late points, retention), a report must be exactly the one
 * read point by point from the same historian.
 */
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
// Around the spring DST change in Europe/Berlin (2026-03-29).
const T0 = Date.parse("2026-03-24T00:00:00Z")
const SPAN = 10 * DAY

/** A small deterministic PRNG (mulberry32), so a failure is reproducible. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const EXECUTION_VALUES: ReadonlyArray<unknown> = ["ACTIVE", "ACTIVE", "READY", "STOPPED", "FEED_HOLD", "UNAVAILABLE", null, 42, " active "]

const machine = (name: string, shifts: ReportingMachineRow["shifts"], reject: boolean): ReportingMachineRow => ({
  name,
  group: name.endsWith("1") ? "A" : "B",
  tags: { execution: `${name}/execution`, partCount: `${name}/parts`, ...(reject ? { rejectCount: `${name}/rejects` } : {}) },
  idealCycleSeconds: 30,
  shifts,
  version: 1,
  createdAt: "",
  updatedAt: ""
})

const MACHINES: ReadonlyArray<ReportingMachineRow> = [
  machine("m1", [], true),
  machine("m2", [{ name: "night", start: "22:00", end: "06:00" }, { name: "day", start: "06:00", end: "14:00" }], false),
  machine("m3", [{ name: "early", start: "07:15", end: "15:45", days: ["mon", "tue", "wed", "thu", "fri"] }], true)
]

/** Signals with bursts a second apart and quiet hours, gaps, odd values, counter resets and non-numbers. */
const signals = (next: () => number, from: number, to: number): Array<TagValue> => {
  const values: Array<TagValue> = []
  for (const m of MACHINES) {
    for (let t = from + Math.floor(next() * 5 * MIN); t < to; t += next() < 0.3 ? 1000 + Math.floor(next() * 5000) : Math.floor(next() * 3 * HOUR)) {
      values.push({ domain: "plant", topic: m.tags.execution, value: EXECUTION_VALUES[Math.floor(next() * EXECUTION_VALUES.length)], timestamp: t })
    }
    for (const topic of [m.tags.partCount, m.tags.rejectCount]) {
      if (topic === undefined) continue
      let count = Math.floor(next() * 50)
      for (let t = from + Math.floor(next() * 10 * MIN); t < to; t += next() < 0.5 ? 1000 : Math.floor(next() * 2 * HOUR)) {
        const roll = next()
        count = roll < 0.03 ? 0 : roll < 0.05 ? Math.floor(next() * 5) : count + 1 + Math.floor(next() * 3)
        values.push({ domain: "plant", topic, value: roll > 0.98 ? "jam" : count, timestamp: t })
      }
    }
  }
  return values.sort((a, b) => a.timestamp - b.timestamp)
}

const dir = tempDir()
let retention: number | undefined
let clock = T0 + 30 * DAY
const tagValues = openTagValues({
  dataDir: dir.path,
  historize: (): HistorizeSettings => (retention === undefined ? { type: "event" } : { type: "event", retentionMillis: retention }),
  pruneIntervalSeconds: 0,
  now: () => clock
})
afterAll(() => {
  tagValues.close()
  dir.cleanup()
})
const summaries = reportSummaries({ tagValues })

const annotations: ReadonlyArray<DowntimeAnnotationRow> = [
  { machine: "m1", start: T0 + 2 * DAY + 17 * MIN + 3, end: T0 + 2 * DAY + 5 * HOUR, reason: "Tool change" },
  { machine: "m3", start: T0 + 6 * DAY + 90 * MIN, end: T0 + 8 * DAY, reason: "Maintenance" }
]

const GROUPS: ReadonlyArray<ReadonlyArray<GroupKey>> = [[], ["machine", "day"], ["day", "shift"], ["machine", "hour"], ["machineGroup", "shift", "machine"]]

/** A report computed both ways: from summaries, and from every point. */
const both = (request: ReportRequest, zone: Zone, now: number) => {
  const sources: ReportSources = {
    store: tagValues.store,
    domain: "plant",
    zone,
    now,
    machines: MACHINES,
    downtime: (name, from, to) => annotations.filter((a) => a.machine === name && a.end > from && a.start < to)
  }
  tagValues.flush()
  const summarized = computeReport(request, { ...sources, summaries })
  const pointByPoint = computeReport(request, sources)
  return { summarized: { items: summarized.items, aggregate: summarized.aggregate }, pointByPoint: { items: pointByPoint.items, aggregate: pointByPoint.aggregate } }
}

/** Random periods: whole local days, or any instants (on the hour or not); `now` after them or inside. */
const requests = (next: () => number, zone: Zone, count: number): Array<{ request: ReportRequest; now: number }> =>
  Array.from({ length: count }, (_, i) => {
    let from: number
    let to: number
    if (i % 2 === 0) {
      const first = addDays(localDateOf(zone, T0), Math.floor(next() * 6))
      from = localInstant(zone, first, 0)
      to = localInstant(zone, addDays(first, 1 + Math.floor(next() * 4)), 0)
    } else {
      from = T0 + Math.floor(next() * 4 * DAY)
      to = from + Math.floor(next() * 5 * DAY) + 1
    }
    const now = next() < 0.3 ? from + Math.floor(next() * (to - from)) : clock
    return {
      request: {
        kind: i % 5 === 4 ? "downtime" : "production",
        from,
        to,
        metrics: i % 5 === 4 ? ["downtimeMs"] : PRODUCTION_METRICS,
        groupBy: i % 5 === 4 ? ["machine", "reason", "day"] : GROUPS[i % GROUPS.length]!,
        filter: {},
        flatten: i % 3 === 0,
        csv: false
      },
      now
    }
  })

describe("reports from hour summaries", () => {
  const next = random(15)
  tagValues.publish(signals(next, T0, T0 + SPAN))

  for (const name of ["Europe/Berlin", "Asia/Kathmandu", "UTC"]) {
    it(`equal reports read point by point, in ${name}`, () => {
      const zone = zoneOf(name)!
      for (const { request, now } of requests(next, zone, 25)) {
        const { summarized, pointByPoint } = both(request, zone, now)
        expect(summarized).toEqual(pointByPoint)
      }
    })
  }

  it("follow points written later into hours already summarized", () => {
    const zone = zoneOf("Europe/Berlin")!
    const period = { kind: "production", from: T0, to: T0 + SPAN, metrics: PRODUCTION_METRICS, groupBy: ["machine", "day"], filter: {}, flatten: true, csv: false } as const
    const before = both(period, zone, clock)
    expect(before.summarized).toEqual(before.pointByPoint)
    // Late values inside summarized hours: a new state mid-hour, a counter reset, a value replacing one at the same instant.
    tagValues.publish([
      { domain: "plant", topic: "m1/execution", value: "ACTIVE", timestamp: T0 + 3 * DAY + 20 * MIN + 7 },
      { domain: "plant", topic: "m2/execution", value: "STOPPED", timestamp: T0 + 5 * DAY + 59 * MIN },
      { domain: "plant", topic: "m2/parts", value: 1, timestamp: T0 + 4 * DAY + 30 * MIN },
      { domain: "plant", topic: "m3/rejects", value: 1_000, timestamp: T0 + 6 * DAY + HOUR }
    ])
    const after = both(period, zone, clock)
    expect(after.summarized).toEqual(after.pointByPoint)
    expect(after.summarized).not.toEqual(before.summarized)
  })

  it("follow retention removing the oldest points", () => {
    const zone = zoneOf("UTC")!
    const period = { kind: "production", from: T0, to: T0 + SPAN, metrics: PRODUCTION_METRICS, groupBy: ["machine", "hour"], filter: {}, flatten: true, csv: false } as const
    const before = both(period, zone, clock)
    // Everything older than 2.5 days after T0 goes.
    retention = clock - (T0 + 2.5 * DAY)
    expect(tagValues.prune(10_000_000)).toBeGreaterThan(0)
    const after = both(period, zone, clock)
    expect(after.summarized).toEqual(after.pointByPoint)
    expect(after.summarized).not.toEqual(before.summarized)
  })

  it("keeps no more hours than it may: the least recently used days go, and reports stay equal", async () => {
    const { makeHourSummaries } = await import("../../apps/server/src/reporting/hourSummaries.js")
    const small = makeHourSummaries(tagValues.store, 3)
    const zone = zoneOf("UTC")!
    const request = { kind: "production", from: T0, to: T0 + SPAN, metrics: PRODUCTION_METRICS, groupBy: ["machine", "day"], filter: {}, flatten: true, csv: false } as const
    const sources = { store: tagValues.store, domain: "plant", zone, now: clock, machines: MACHINES, downtime: () => [] }
    const full = computeReport(request, sources)
    for (let i = 0; i < 2; i++) expect(computeReport(request, { ...sources, summaries: small }).items).toEqual(full.items)
  })
})

describe("a report's deadline", () => {
  it("is checked while the report runs, and stops it by throwing", () => {
    let checks = 0
    const stop = new Error("past the deadline")
    const request = { kind: "production", from: T0, to: T0 + SPAN, metrics: PRODUCTION_METRICS, groupBy: ["machine"], filter: {}, flatten: false, csv: false } as const
    const sources = { store: tagValues.store, domain: "plant", zone: zoneOf("UTC")!, now: clock, machines: MACHINES, downtime: () => [] }
    // Passes twice (the report is under way: a machine started, a read made), then the time is up.
    const check = () => {
      if (++checks > 2) throw stop
    }
    expect(() => computeReport(request, { ...sources, check })).toThrow(stop)
    expect(checks).toBe(3)
    // Unchecked, the same report runs to its end.
    expect(computeReport(request, sources).items).toHaveLength(3)
  })
})
