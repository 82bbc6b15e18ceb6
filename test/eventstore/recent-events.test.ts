import { describe, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { encodedBytes, RecentEvents } from "../../adapters/src/eventstore/sqlite/RecentEvents.js"

const event = (position: number, bytes: number): RecordedEvent => {
  const recorded: RecordedEvent = {
    id: `e${position}`,
    type: "T",
    data: null,
    meta: { domain: "d", actor: { kind: "system", id: "s" }, correlationId: "c", causationId: null, commandId: null, at: "" },
    stream: "s",
    version: position,
    position
  }
  encodedBytes.set(recorded, bytes)
  return recorded
}

describe("recent events memory", () => {
  it("answers from memory only while complete, and stays within its byte budget", () => {
    const recent = new RecentEvents(1_000, 1_000_000)
    recent.committed([event(1, 10), event(2, 10)], 7)
    expect(recent.read(1, 10, 7)?.map((e) => e.position)).toEqual([1, 2])
    expect(recent.read(3, 10, 7)).toEqual([])
    expect(recent.read(1, 10, 8)).toBeUndefined() // another connection committed: ask the file
    // 5 events of 300 kB exceed the 1 MB budget: the oldest go, so early positions go to the file.
    recent.committed([3, 4, 5, 6, 7].map((p) => event(p, 300_000)), 7)
    expect(recent.read(1, 10, 7)).toBeUndefined()
    const kept = recent.read(7, 10, 7)
    expect(kept?.map((e) => e.position)).toEqual([7])
    // A gap (positions not following on) empties the memory instead of serving a hole.
    recent.committed([event(20, 1)], 7)
    expect(recent.read(7, 10, 7)).toBeUndefined()
    expect(recent.read(20, 10, 7)?.map((e) => e.position)).toEqual([20])
  })

  it("keeps a background writer's events only when they follow on from what it holds", () => {
    const recent = new RecentEvents(1_000, 1_000_000)
    recent.committed([event(1, 10), event(2, 10)], 7)
    // The worker committed 3, then this connection 4 (seen as another connection's commit: data_version 8),
    // and only then does the worker's answer for 3 arrive.
    recent.committed([event(4, 10)], 8)
    recent.committedInBackground([event(3, 10)], 8)
    // 4 exists: memory must not answer "nothing after 3" to a reader at 4, nor serve 3 as the last.
    expect(recent.read(3, 10, 8)).toBeUndefined()
    expect(recent.read(4, 10, 8)).toBeUndefined()
    // Following on from the last held event, the worker's events are kept.
    recent.committed([event(5, 10)], 9)
    recent.committedInBackground([event(6, 10)], 10)
    expect(recent.read(6, 10, 10)?.map((e) => e.position)).toEqual([6])
    expect(recent.read(7, 10, 10)).toEqual([])
  })
})
