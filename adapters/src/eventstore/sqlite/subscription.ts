import type { EventStoreUnavailable, RecordedEvent } from "@machhub/core"
import { Effect, Option, Stream } from "effect"
import type { CommitSignal } from "./CommitSignal.js"

/** Events per read while catching up; large enough to amortise a query, small enough to stay responsive. */
export const subscriptionPageSize = 500

type Page = readonly [ReadonlyArray<RecordedEvent>, Option.Option<number>]

/**
 * Catch-up then live, as one loop over the global log: read a page from `next`; if it has events, emit
 * them and continue after the last one; if it is empty, wait for the next commit and read again. There is
 * no separate "live" phase to switch to, hence no gap and no duplicate at the switch.
 *
 * The commit generation is captured BEFORE the read: a commit that lands after the read but before the
 * wait has a newer generation, so the wait returns at once instead of missing it.
 *
 * The stream never ends by itself. It ends cleanly when the store closes, and an interrupted subscriber
 * only removes its waiter.
 */
export const subscribeToLog = (
  signal: CommitSignal,
  readAll: (fromPosition: number, limit: number) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable>,
  fromPosition: number
): Stream.Stream<RecordedEvent, EventStoreUnavailable> =>
  Stream.paginate(
    Math.max(1, fromPosition),
    (next): Effect.Effect<Page, EventStoreUnavailable> =>
      Effect.suspend(() => {
        if (signal.isClosed) return Effect.succeed<Page>([[], Option.none()])
        const seen = signal.generation
        return Effect.flatMap(readAll(next, subscriptionPageSize), (page): Effect.Effect<Page> => {
          const last = page[page.length - 1]
          if (last !== undefined) return Effect.succeed<Page>([page, Option.some(last.position + 1)])
          return Effect.as(signal.awaitCommitAfter(seen), [[], Option.some(next)] as Page)
        })
      })
  )
