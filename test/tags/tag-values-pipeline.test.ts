import { afterEach, describe, expect, it } from "vitest"
import { openTagValues, type TagValues } from "../../apps/server/src/tags/values/TagValues.js"
import type { HistorizeSettings } from "../../apps/server/src/tags/values/TagValue.js"
import { tempDir } from "../support/temp.js"

/**
 * The value pipeline over a real historian.db: what a tick of values leaves in the store when
 * several values fall on one instant (one row, as the store's own conflict rules would leave it)
 * and what a restart reads back.
 */
describe("the tag value pipeline", () => {
  const opened: Array<{ values: TagValues; cleanup: () => void }> = []
  const open = (settings: Record<string, HistorizeSettings>, path?: string) => {
    const dir = path === undefined ? tempDir() : { path, cleanup: () => {} }
    const values = openTagValues({ dataDir: dir.path, historize: (_domain, topic) => settings[topic], pruneIntervalSeconds: 0 })
    opened.push({ values, cleanup: dir.cleanup })
    return { values, dir: dir.path }
  }
  afterEach(() => {
    for (const { values, cleanup } of opened.splice(0)) {
      values.close()
      cleanup()
    }
  })
  const points = (values: TagValues, topic: string) => {
    values.flush()
    const series = values.store.findSeries("d", topic)
    return series === undefined ? [] : values.store.range(series, 0, Number.MAX_SAFE_INTEGER).map(([ts, num, json]) => [ts, json === null ? num : JSON.parse(json)])
  }

  it("keeps, of event values at one instant, the last; a value equal to the recorded one is no change", () => {
    const { values } = open({ e: { type: "event" } })
    values.publish([1, 2, 3].map((value) => ({ domain: "d", topic: "e", value, timestamp: 1_000 })))
    values.publish([{ domain: "d", topic: "e", value: 3, timestamp: 2_000 }, { domain: "d", topic: "e", value: "x", timestamp: 2_000 }, { domain: "d", topic: "e", value: 3, timestamp: 2_000 }])
    expect(points(values, "e")).toEqual([[1_000, 3], [2_000, 3]])
    // In a later tick, a value at an instant already written replaces that point too.
    values.publish([{ domain: "d", topic: "e", value: { a: 1 }, timestamp: 1_000 }])
    values.publish([{ domain: "d", topic: "e", value: { a: 1 }, timestamp: 3_000 }])
    expect(points(values, "e")).toEqual([[1_000, { a: 1 }], [2_000, 3]])
    expect(values.last("d", "e")).toEqual({ value: { a: 1 }, timestamp: 3_000 })
  })

  it("keeps, of timeseries values in one interval, the one of the latest time, whatever the order they came in", () => {
    const { values } = open({ t: { type: "timeseries", samplingMillis: 1_000 } })
    values.publish([
      { domain: "d", topic: "t", value: 1, timestamp: 10_100 },
      { domain: "d", topic: "t", value: 2, timestamp: 10_900 },
      { domain: "d", topic: "t", value: 3, timestamp: 10_500 },
      { domain: "d", topic: "t", value: 4, timestamp: 11_000 },
      { domain: "d", topic: "t", value: 5, timestamp: 10_950 }
    ])
    expect(points(values, "t")).toEqual([[10_000, 5], [11_000, 4]])
    values.publish([{ domain: "d", topic: "t", value: 6, timestamp: 10_200 }])
    expect(points(values, "t")).toEqual([[10_000, 5], [11_000, 4]])
    // The last value is the newest by time, not the last to arrive.
    expect(values.last("d", "t")).toEqual({ value: 4, timestamp: 11_000 })
  })

  it("reads last values and what event series hold back after a restart", () => {
    const first = open({ e: { type: "event" } })
    first.values.publish([{ domain: "d", topic: "e", value: 7, timestamp: 1_000 }, { domain: "d", topic: "plain", value: "text", timestamp: 1_000 }])
    first.values.close()
    opened.pop()
    const again = open({ e: { type: "event" } }, first.dir)
    expect(again.values.last("d", "plain")).toEqual({ value: "text", timestamp: 1_000 })
    expect(again.values.last("d", "nothing")).toBeUndefined()
    // 7 is what the series holds: sending it again is no change; 8 is.
    again.values.publish([{ domain: "d", topic: "e", value: 7, timestamp: 2_000 }, { domain: "d", topic: "e", value: 8, timestamp: 3_000 }])
    expect(points(again.values, "e")).toEqual([[1_000, 7], [3_000, 8]])
  })
})
