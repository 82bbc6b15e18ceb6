import type { RecordedEvent } from "@machhub/core"
import { Effect } from "effect"

/** Reads the whole log, page by page, as any reader of the store port would. */
export const readWholeLog = <E>(
  readAll: (from: number, limit: number) => Effect.Effect<ReadonlyArray<RecordedEvent>, E>
): Effect.Effect<ReadonlyArray<RecordedEvent>, E> =>
  Effect.gen(function*() {
    const all: Array<RecordedEvent> = []
    for (let from = 1;;) {
      const page = yield* readAll(from, 1_000)
      if (page.length === 0) return all
      all.push(...page)
      from = page[page.length - 1]!.position + 1
    }
  })
