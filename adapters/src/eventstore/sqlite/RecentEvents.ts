import type { RecordedEvent } from "@machhub/core"

/**
 * The most recently committed events, in memory, in position order. Live subscribers (the projection
 * runner, the publisher) read what was just committed; serving that from here spares a query and a
 * msgpack decode per event on the write path. It only answers while it is known to be complete:
 * positions must follow on without a gap, and any commit by another connection to the same file
 * (seen through `PRAGMA data_version`) empties it, so such reads go to the database.
 *
 * It hands out the appended objects themselves: events are immutable by convention, and the data the
 * store accepts is plain JSON-like data that msgpack round-trips unchanged.
 */
export class RecentEvents {
  private events: Array<RecordedEvent> = []
  private dataVersion: number | undefined

  constructor(private readonly capacity = 8192) {}

  /** After our own commit: `dataVersion` as our connection sees it (our own commits do not change it). */
  committed(events: ReadonlyArray<RecordedEvent>, dataVersion: number): void {
    if (events.length === 0) return
    const last = this.events[this.events.length - 1]
    if (dataVersion !== this.dataVersion || (last !== undefined && events[0]!.position !== last.position + 1)) this.events = []
    this.dataVersion = dataVersion
    for (const event of events) this.events.push(event)
    if (this.events.length > this.capacity * 2) this.events = this.events.slice(-this.capacity)
  }

  /** Up to `limit` events from `fromPosition` on, or undefined when the database must answer. */
  read(fromPosition: number, limit: number, dataVersion: number): ReadonlyArray<RecordedEvent> | undefined {
    if (this.events.length === 0 || dataVersion !== this.dataVersion) return undefined
    const first = this.events[0]!.position
    const last = this.events[this.events.length - 1]!.position
    if (fromPosition < first || fromPosition > last + 1) return undefined
    const start = fromPosition - first
    return this.events.slice(start, start + limit)
  }
}
