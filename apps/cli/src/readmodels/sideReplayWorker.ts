import { parentPort, workerData } from "node:worker_threads"
import { openSqliteLogReader } from "@machhub/adapters/sqlite"
import { allProjections, openScratchReadModelDatabase, replayProjections } from "@machhub/projections"
import { Effect } from "effect"
import type { SideReplayInput, SideReplayMessage } from "./sideReplay.js"

/**
 * The worker thread of a side replay (see sideReplay.ts): replays the named projections from the log
 * into a scratch database of their own, closes it and reports.
 */
const input = workerData as SideReplayInput
const post = (message: SideReplayMessage) => parentPort!.postMessage(message)

const projections = allProjections.filter((projection) => input.projections.includes(projection.name))
const reader = openSqliteLogReader(input.log)
const db = openScratchReadModelDatabase(input.scratch)
try {
  const result = await Effect.runPromise(replayProjections(db, projections, reader.select({ upTo: input.upTo }), {
    upTo: input.upTo,
    batchSize: input.batchSize
  }))
  db.close()
  post({ ok: true, events: result.events, position: result.position })
} catch (error) {
  post({ ok: false, message: error instanceof Error ? error.message : String(error) })
} finally {
  if (db.open) db.close()
  reader.close()
}
