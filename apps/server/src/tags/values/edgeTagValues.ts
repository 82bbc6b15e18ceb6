import type Database from "better-sqlite3"
import type { ProjectionRunnerService } from "@machhub/projections"
import type { ServerConfig } from "../../config.js"
import { parseDuration } from "./duration.js"
import type { HistorizeLookup } from "./TagValue.js"
import { openTagValues, type TagValues } from "./TagValues.js"
import { openGate, type WriteGate } from "./writeGate.js"

/** Historize settings as tag definitions hold them: durations as written (`1s`, `30d`). */
interface WrittenHistorize {
  readonly type: "event" | "timeseries"
  readonly samplingTime?: string
  readonly retention?: string
}

/** Converts a definition lookup's settings to the pipeline's (durations in milliseconds). */
export const historizeFrom = (get: (domain: string, topic: string) => { readonly historize?: WrittenHistorize } | undefined): HistorizeLookup =>
  (domain, topic) => {
    const historize = get(domain, topic)?.historize
    if (historize === undefined) return undefined
    const samplingMillis = historize.samplingTime === undefined ? undefined : parseDuration(historize.samplingTime)
    const retentionMillis = historize.retention === undefined ? undefined : parseDuration(historize.retention)
    return {
      type: historize.type,
      ...(samplingMillis === undefined ? {} : { samplingMillis }),
      ...(retentionMillis === undefined ? {} : { retentionMillis })
    }
  }

/** An edge's value pipeline over its data dir, reading historize settings and tag rules from the tags read model. */
export const openEdgeTagValues = (
  config: ServerConfig,
  _readModels: Database.Database,
  _projections: ProjectionRunnerService
): { readonly tagValues: TagValues; readonly tagWrites: WriteGate } => {
  const tagValues = openTagValues({
    dataDir: config.dataDir,
    historize: () => undefined,
    synchronous: config.sqliteSynchronous,
    pruneIntervalSeconds: config.historianPruneSeconds
  })
  return { tagValues, tagWrites: openGate }
}
