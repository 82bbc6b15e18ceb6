import type { EnsureTagContext } from "../definitions/ensureTag.js"
import { historizeLookup } from "../definitions/historizeLookup.js"
import { makeTagWriteGate } from "../definitions/tagWriteGate.js"
import type { ServerConfig } from "../../config.js"
import { openTagValues, type TagValues } from "./TagValues.js"
import type { WriteGate } from "./writeGate.js"

/**
 * An edge's value pipeline over its data dir: historize settings come from the tags read model, and
 * a client's writes pass the tag rules (access R, autocreate) of the same definitions.
 */
export const openEdgeTagValues = (
  source: EnsureTagContext & { readonly config: ServerConfig }
): { readonly tagValues: TagValues; readonly tagWrites: WriteGate } => {
  const tagValues = openTagValues({
    dataDir: source.config.dataDir,
    historize: historizeLookup(source),
    synchronous: source.config.sqliteSynchronous,
    pruneIntervalSeconds: source.config.historianPruneSeconds
  })
  return { tagValues, tagWrites: makeTagWriteGate(source) }
}
