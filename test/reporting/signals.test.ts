import { afterAll, describe, expect, it } from "vitest"
import { openHistorianStore } from "../../apps/server/src/tags/values/HistorianStore.js"
import { counterIncreases, executionSegments, executionState } from "../../apps/server/src/reporting/signals.js"
import { shiftOccurrences } from "../../apps/server/src/reporting/shifts.js"
import { zoneOf } from "../../apps/server/src/tags/values/timeZone.js"
import { tempDir } from "../support/temp.js"

const dir = tempDir()
const store = openHistorianStore(dir.path)
afterAll(() => {
  store.close()
  dir.cleanup()
})

const T0 = Date.parse("2026-02-01T00:00:00Z")

describe("signals read from the historian", () => {
  it("counts a counter over more points than one page holds, resets included", () => {
    const series = store.seriesOf("plant", "big/parts")
    // 25,000 points: +1 each, with a reset to 0 at point 12,000 (0 counts nothing, the rise after it does).
    const points = Array.from({ length: 25_000 }, (_, i) => ({ series, ts: T0 + i * 1000, num: i < 12_000 ? i : i - 12_000, json: null, at: null, keepLatest: false }))
    store.write(points, [])
    const total = counterIncreases(store, series, T0, T0 + 25_000 * 1000).reduce((sum, e) => sum + e.count, 0)
    expect(total).toBe(11_999 + 12_999)
    // The baseline is the value before the period: starting at point 100 counts from there.
    expect(counterIncreases(store, series, T0 + 100_000, T0 + 200_000).reduce((sum, e) => sum + e.count, 0)).toBe(100)
  })

  it("builds execution segments across pages, the state at the start from the point before it", () => {
    const series = store.seriesOf("plant", "big/execution")
    const points = Array.from({ length: 21_000 }, (_, i) => ({ series, ts: T0 + i * 1000, num: null, json: JSON.stringify(i % 2 === 0 ? "ACTIVE" : "READY"), at: null, keepLatest: false }))
    store.write(points, [])
    const segments = executionSegments(store, series, T0 + 500, T0 + 21_000 * 1000, Number.MAX_SAFE_INTEGER)
    const inCycle = segments.filter((s) => s.state === "inCycle").reduce((sum, s) => sum + s.end - s.start, 0)
    expect(segments[0]).toEqual({ start: T0 + 500, end: T0 + 1000, state: "inCycle" })
    expect(inCycle).toBe(500 + 10_499 * 1000)
    // Nothing is known after now.
    expect(executionSegments(store, series, T0, T0 + 10_000, T0 + 5_000).at(-1)).toEqual({ start: T0 + 5_000, end: T0 + 10_000, state: "noData" })
  })

  it("reads MTConnect Execution values: ACTIVE in cycle, the others not, UNAVAILABLE and anything else no data", () => {
    expect(executionState("ACTIVE")).toBe("inCycle")
    expect(executionState("feed_hold")).toBe("notInCycle")
    expect(executionState("UNAVAILABLE")).toBe("noData")
    expect(executionState(1)).toBe("noData")
  })

  it("places shifts on local days: a night shift crosses midnight, and a DST night is an hour shorter", () => {
    const berlin = zoneOf("Europe/Berlin")!
    const from = Date.parse("2026-03-28T00:00:00+01:00")
    const to = Date.parse("2026-03-30T00:00:00+02:00")
    const nights = shiftOccurrences(berlin, [{ name: "night", start: "22:00", end: "06:00", days: ["sat"] }], from, to)
    expect(nights).toEqual([{ name: "night", start: Date.parse("2026-03-28T22:00:00+01:00"), end: Date.parse("2026-03-29T06:00:00+02:00") }])
    expect(nights[0]!.end - nights[0]!.start).toBe(7 * 3_600_000)
  })
})
