import { closeSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs"
import { dirname } from "node:path"
import { sidecarFiles } from "@machhub/projections"

/**
 * Puts a rebuilt (sealed, closed) read-model database in place of the live one, which must be closed
 * too. The live database's WAL and shared-memory files go first: SQLite would otherwise replay the old
 * WAL's pages onto the new file. The rename is atomic: a crash leaves either database, never a mix.
 */
export const swapIn = (rebuilt: string, live: string): void => {
  for (const file of sidecarFiles(live)) rmSync(file, { force: true })
  renameSync(rebuilt, live)
  // Make the rename itself durable.
  const dir = openSync(dirname(live), "r")
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
