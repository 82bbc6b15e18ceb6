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
/** Encoded size of each recorded event (set at append), so the memory is bounded in bytes too. */
export const encodedBytes = new WeakMap<RecordedEvent, number>()

export class RecentEvents {
  private events: Array<RecordedEvent> = []
  private bytes = 0
  private dataVersion: number | undefined

  /** At most `capacity` events and about `maxBytes` of encoded data (terminal recordings are large). */
  constructor(private readonly capacity = 8192, private readonly maxBytes = 16 * 1024 * 1024) {}

  /** After our own commit: `dataVersion` as our connection sees it (our own commits do not change it). */
  committed(events: ReadonlyArray<RecordedEvent>, dataVersion: number): void {
    if (events.length === 0) return
    const last = this.events[this.events.length - 1]
    if (dataVersion !== this.dataVersion || (last !== undefined && events[0]!.position !== last.position + 1)) {
      this.events = []
      this.bytes = 0
    }
    this.dataVersion = dataVersion
    for (const event of events) {
      this.events.push(event)
      this.bytes += encodedBytes.get(event) ?? 0
    }
    if (this.events.length > this.capacity * 2 || this.bytes > this.maxBytes) this.trim()
  }

  /**
   * After a commit by the background writer, learned of later than it happened: our own connection
   * may have committed later positions meanwhile, so its events are kept only when they follow on
   * from the last event held (then nothing can lie after them). Otherwise the memory is emptied and
   * reads go to the database: installing them would claim nothing follows them when something may.
   */
  committedInBackground(events: ReadonlyArray<RecordedEvent>, dataVersion: number): void {
    if (events.length === 0) return
    const last = this.events[this.events.length - 1]
    if (last === undefined || events[0]!.position !== last.position + 1) {
      this.events = []
      this.bytes = 0
      this.dataVersion = undefined
      return
    }
    this.committed(events, dataVersion)
  }

  /** Drops the oldest events until both bounds hold again (trimming in bulk keeps it cheap). */
  private trim(): void {
    let drop = Math.max(0, this.events.length - this.capacity)
    let bytes = this.bytes
    for (let i = 0; i < drop; i++) bytes -= encodedBytes.get(this.events[i]!) ?? 0
    while (bytes > this.maxBytes / 2 && drop < this.events.length) bytes -= encodedBytes.get(this.events[drop++]!) ?? 0
    this.events = this.events.slice(drop)
    this.bytes = bytes
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
