import { Effect } from "effect"
import { text, type HttpResponse } from "@machhub/adapters"
import { RECORD_CATEGORY, recordAggregate, recordAggregateId, streamName, type AsOf, type EventStoreService } from "@machhub/core"
import { creatorKey, recordJson } from "@machhub/projections"
import { answerAsOf, describeAsOf, stateAsOf } from "./asOf.js"

export interface RecordTarget {
  readonly domain: string
  readonly table: string
  readonly id: string
  /** A self-scope reader sees only records it created: `<kind>:<id>` of that creator. */
  readonly onlyCreator: string | undefined
}

/**
 * `GET /machhub/<domain>.<table>:<id>?asOf=`: the record as it was then, folded from its stream with the
 * record aggregate's own `evolve`, answered in the same shape as a present read. A record deleted
 * since is still readable as of a moment before its deletion.
 */
export const recordAsOf = (store: EventStoreService, target: RecordTarget, asOf: AsOf, publicId: string): Promise<HttpResponse> =>
  answerAsOf(Effect.map(
    stateAsOf(store, streamName(RECORD_CATEGORY, target.domain, recordAggregateId(target.table, target.id)), recordAggregate, asOf),
    (found): HttpResponse => {
      const state = found?.state
      if (found === undefined || state === undefined || state._tag !== "Active" ||
        (target.onlyCreator !== undefined && creatorKey(state.creator) !== target.onlyCreator)) {
        return text(404, `No record ${publicId.slice(0, 200)} as of ${describeAsOf(asOf)}`)
      }
      const row = {
        id: target.id,
        data: JSON.stringify(state.data),
        creator: creatorKey(state.creator),
        created: found.createdAt,
        updated: found.updatedAt,
        version: found.version
      }
      return {
        status: 200,
        contentType: "application/json; charset=utf-8",
        body: recordJson(target.domain, target.table, row),
        headers: { "App-Event-Position": String(found.position) }
      }
    }
  ))
