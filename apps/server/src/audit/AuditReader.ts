import { Effect } from "effect"
import type { EventStoreService, EventStoreUnavailable, RecordedEvent } from "@machhub/core"
import type { AuditFilter, AuditIndex, ProjectionRunnerService } from "@machhub/projections"
import { runPromise } from "../runtime.js"

export interface AuditReaderDependencies {
  readonly store: EventStoreService
  readonly projections: ProjectionRunnerService
  readonly index: AuditIndex
}

/** What an auditor asks for: the index's filter plus one stream. */
export interface EventFilter extends AuditFilter {
  readonly stream?: string | undefined
}

export interface AuditPage {
  readonly events: ReadonlyArray<RecordedEvent>
  /** The `from` of the following page, or null when this page reached the end of the log as it stood. */
  readonly next: number | null
}

/** How long a query waits for the audit index to cover the log as it stands when the query arrives. */
const CATCH_UP_MILLIS = 2_000
/** Events per read of a stream: bounded, since a terminal recording's events are up to 256 KiB each. */
const STREAM_CHUNK = 128

const isUnfiltered = (filter: EventFilter): boolean =>
  filter.domain === undefined && filter.stream === undefined && filter.type === undefined &&
  filter.actor === undefined && filter.since === undefined && filter.until === undefined

/** The exact check of every criterion on an event read from the store (the index only narrows down). */
const matches = (event: RecordedEvent, filter: EventFilter): boolean => {
  if (event.position < filter.from || (filter.to !== undefined && event.position > filter.to)) return false
  if (filter.domain !== undefined && event.meta.domain !== filter.domain) return false
  if (filter.stream !== undefined && event.stream !== filter.stream) return false
  if (filter.type !== undefined && event.type !== filter.type) return false
  if (filter.actor !== undefined && event.meta.actor.id !== filter.actor) return false
  if (filter.since !== undefined || filter.until !== undefined) {
    const at = Date.parse(event.meta.at)
    if (filter.since !== undefined && !(at >= filter.since)) return false
    if (filter.until !== undefined && !(at <= filter.until)) return false
  }
  return true
}

/** Sorted positions as runs of consecutive ones: `[start, length]`. */
const runsOf = (positions: ReadonlyArray<number>): Array<readonly [number, number]> => {
  const runs: Array<readonly [number, number]> = []
  let start = positions[0]!
  let length = 1
  for (let i = 1; i < positions.length; i++) {
    if (positions[i] === start + length) length++
    else {
      runs.push([start, length])
      start = positions[i]!
      length = 1
    }
  }
  if (positions.length > 0) runs.push([start, length])
  return runs
}

/**
 * Reads the log for auditors. The events always come from the store, so what an auditor sees is
 * exactly what was recorded, never a projection of it:
 * - no filter (an all-domain auditor): the store's `readAll`;
 * - a stream: the store's `readStream`, in bounded pieces;
 * - anything else: the audit index finds the positions, and each run of consecutive positions is one
 *   `readAll`. Every criterion is checked again on the events read.
 */
export const makeAuditReader = (deps: AuditReaderDependencies) => {
  const { store } = deps

  /** The position up to which the index answers: the log's head when the query came, unless the index lags long. */
  const covered: Effect.Effect<number, EventStoreUnavailable> = store.headPosition.pipe(
    Effect.flatMap((head) => deps.projections.waitFor(head, CATCH_UP_MILLIS)),
    Effect.map(() => deps.projections.position())
  )

  const eventsAt = (positions: ReadonlyArray<number>): Effect.Effect<Array<RecordedEvent>, EventStoreUnavailable> =>
    Effect.map(Effect.forEach(runsOf(positions), ([start, length]) => store.readAll(start, length)), (runs) => runs.flat())

  /**
   * The first version of `stream` at or after position `from`: versions and positions grow together,
   * so gallop, then bisect, over single-event reads (a few dozen at most, for any stream length).
   */
  const firstVersionAt = (stream: string, from: number): Effect.Effect<number, EventStoreUnavailable> =>
    Effect.gen(function*() {
      if (from <= 1) return 1
      const reaches = (version: number) => Effect.map(store.readStream(stream, version, 1), (events) => events[0] === undefined || events[0].position >= from)
      let low = 1 // every version below `low` is before `from`
      let step = 1
      while (!(yield* reaches(low + step - 1))) {
        low += step
        step *= 2
      }
      let high = low + step - 1
      while (low < high) {
        const middle = Math.floor((low + high) / 2)
        if (yield* reaches(middle)) high = middle
        else low = middle + 1
      }
      return low
    })

  /** A stream's matching events from `filter.from` on, in chunks, until `enough` says stop. */
  const scanStream = (filter: EventFilter & { stream: string }, enough: (found: number) => boolean) =>
    Effect.gen(function*() {
      const found: Array<RecordedEvent> = []
      let version = yield* firstVersionAt(filter.stream, filter.from)
      for (;;) {
        const chunk = yield* store.readStream(filter.stream, version, STREAM_CHUNK)
        for (const event of chunk) {
          if (filter.to !== undefined && event.position > filter.to) return found
          if (matches(event, filter)) found.push(event)
        }
        if (chunk.length < STREAM_CHUNK || enough(found.length)) return found
        version = chunk[chunk.length - 1]!.version + 1
      }
    })

  /** Up to `limit` matching events from `filter.from` on, and where the next page starts. */
  const page = (filter: EventFilter, limit: number): Effect.Effect<AuditPage, EventStoreUnavailable> =>
    Effect.gen(function*() {
      // One event (or position) more than asked tells whether there is a next page, and where it starts.
      if (filter.stream !== undefined) {
        const found = yield* scanStream({ ...filter, stream: filter.stream }, (n) => n > limit)
        return { events: found.slice(0, limit), next: found[limit]?.position ?? null }
      }
      if (isUnfiltered(filter)) {
        const found = yield* store.readAll(filter.from, limit + 1)
        return { events: found.slice(0, limit), next: found[limit]?.position ?? null }
      }
      const to = Math.min(filter.to ?? Number.MAX_SAFE_INTEGER, yield* covered)
      const positions = deps.index.positions({ ...filter, to }, limit + 1)
      const next = positions[limit] ?? null
      const events = (yield* eventsAt(positions.slice(0, limit))).filter((event) => matches(event, filter))
      return { events, next }
    })

  /**
   * Every matching event up to the log's head when the call starts (so an export ends even while the
   * log grows), in batches of at most `batchSize`: the caller holds one batch at a time.
   */
  async function* batches(filter: EventFilter, batchSize: number, maxEvents = Number.MAX_SAFE_INTEGER): AsyncGenerator<ReadonlyArray<RecordedEvent>> {
    const indexed = filter.stream === undefined && !isUnfiltered(filter)
    const head = await runPromise(indexed ? covered : store.headPosition)
    const to = Math.min(filter.to ?? Number.MAX_SAFE_INTEGER, head)
    let from = filter.from
    let left = maxEvents
    let version: number | undefined
    while (from <= to && left > 0) {
      const size = Math.min(batchSize, left)
      let batch: Array<RecordedEvent>
      if (filter.stream !== undefined) {
        version ??= await runPromise(firstVersionAt(filter.stream, from))
        const chunk = await runPromise(store.readStream(filter.stream, version, size))
        if (chunk.length === 0) return
        version = chunk[chunk.length - 1]!.version + 1
        batch = chunk.filter((event) => matches(event, { ...filter, to }))
        // Past the snapshot's head: this is the last batch.
        if (chunk[chunk.length - 1]!.position > to) from = to + 1
      } else if (!indexed) {
        batch = (await runPromise(store.readAll(from, size))).filter((event) => event.position <= to)
        if (batch.length === 0) return
        from = batch[batch.length - 1]!.position + 1
      } else {
        const positions = deps.index.positions({ ...filter, from, to }, size)
        if (positions.length === 0) return
        batch = (await runPromise(eventsAt(positions))).filter((event) => matches(event, filter))
        from = positions[positions.length - 1]! + 1
      }
      batch = batch.slice(0, left)
      left -= batch.length
      if (batch.length > 0) yield batch
    }
  }

  /**
   * One stream's history from a version (`{ events, next }`, `next` a version), for the stream route;
   * `domain` set: only events of that domain (a domain auditor's view).
   */
  const history = (stream: string, fromVersion: number, limit: number, domain: string | undefined): Effect.Effect<AuditPage, EventStoreUnavailable> =>
    Effect.map(store.readStream(stream, fromVersion, limit + 1), (found) => ({
      events: found.slice(0, limit).filter((event) => domain === undefined || event.meta.domain === domain),
      next: found[limit]?.version ?? null
    }))

  return { page, batches, history, covered }
}

export type AuditReader = ReturnType<typeof makeAuditReader>
