import Database from "better-sqlite3"
import { existsSync } from "node:fs"
import { allProjections, openScratchReadModelDatabase, removeDatabaseFiles, replayProjections, sealScratchReadModelDatabase } from "@machhub/projections"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { locateDataDir } from "../dataDir.js"
import { CommandFailed, failed, UsageError } from "../errors.js"
import { batchSize, dataDir } from "../flags.js"
import { count, duration } from "../format.js"
import { holdDataDir } from "../lock.js"
import { openLog } from "../log.js"
import { Progress } from "../progress.js"
import { carryOver } from "../readmodels/carryOver.js"
import { swapIn } from "../readmodels/swap.js"
import { rowCount, tableNames } from "../readmodels/tables.js"

/** The batch size must leave room for progress and Ctrl-C between transactions, and bound memory. */
export const checkBatchSize = (n: number): Effect.Effect<number, UsageError> =>
  n >= 1 && n <= 1_000_000 ? Effect.succeed(n) : Effect.fail(new UsageError({ message: `--batch-size must be between 1 and 1000000, got ${n}` }))

/**
 * Rebuilds into `readmodels.db.replay` next to the live file, then swaps it in. Until the swap the live
 * read models are untouched: a failed or interrupted replay (Ctrl-C) changes nothing but removes its
 * scratch file. The scratch file can therefore skip SQLite's journal and fsyncs (see
 * openScratchReadModelDatabase), which is most of the speed.
 */
export const replayCommand = Command.make(
  "replay",
  {
    dataDir,
    batchSize,
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("take the data directory's lock even if another process seems to hold it"),
      Flag.withDefault(false)
    )
  },
  (flags) =>
    Effect.scoped(Effect.gen(function*() {
      const size = yield* checkBatchSize(flags.batchSize)
      const paths = yield* locateDataDir(flags.dataDir)
      yield* holdDataDir(paths.dir, "replay", flags.force)
      const log = yield* openLog(paths.events)
      const head = log.head()
      const scratch = `${paths.readModels}.replay`
      let swapped = false
      const db = yield* Effect.acquireRelease(
        Effect.try({ try: () => openScratchReadModelDatabase(scratch), catch: failed(`cannot create ${scratch}`) }),
        (db) =>
          Effect.sync(() => {
            if (swapped) return
            if (db.open) db.close()
            removeDatabaseFiles(scratch)
          })
      )

      const progress = new Progress("replay", head)
      const result = yield* replayProjections(db, allProjections, log.select({ upTo: head }), {
        upTo: head,
        batchSize: size,
        onBatch: (position, events) => progress.update(position, events)
      }).pipe(Effect.mapError((error) => new CommandFailed({ message: error.message })))
      const seconds = progress.finish(result.position, result.events)

      const finish = Effect.try({
        try: () => {
          const tables = tableNames(db).filter((t) => t !== "projection_checkpoints").map((t) => [t, rowCount(db, t)] as const)
          let kept: Array<string> = []
          if (existsSync(paths.readModels)) {
            const live = new Database(paths.readModels)
            try {
              kept = carryOver(live, db, allProjections)
              live.pragma("wal_checkpoint(TRUNCATE)")
            } finally {
              live.close()
            }
          }
          sealScratchReadModelDatabase(db)
          swapIn(scratch, paths.readModels)
          swapped = true
          return { tables, kept }
        },
        catch: failed("replacing the read models")
      })
      // Not interruptible: once the swap starts it must finish.
      const { tables, kept } = yield* Effect.uninterruptible(finish)

      const lines = [
        `replayed ${count(result.events)} events (positions 1..${count(result.position)}) into ${allProjections.length} read models ` +
          `in ${duration(seconds)}: ${count(seconds > 0 ? result.events / seconds : result.events)} events/s, ` +
          `peak RSS ${count(process.resourceUsage().maxRSS / 1024)} MB`,
        `${paths.readModels} is now at position ${count(result.position)}:`,
        ...tables.map(([table, rows]) => `  ${table.padEnd(24)} ${count(rows).padStart(12)} rows`),
        ...(kept.length > 0 ? [`kept from the previous read models (not derived from the log): ${kept.join(", ")}`] : [])
      ]
      process.stdout.write(`${lines.join("\n")}\n`)
    }))
).pipe(
  Command.withShortDescription("rebuild every read model from the event log (server must be stopped)"),
  Command.withDescription(
    "Rebuild every read model (users, groups, domains, API keys, sessions, machines, records, ...) from the event log. " +
      "Refuses (exit 3) while a server runs on the data directory: it holds machhub.lock there. " +
      "Builds into a scratch file and swaps it in at the end, so an interrupted replay leaves the old read models intact."
  ),
  Command.withExamples([{ command: "machhub replay --data-dir ./data", description: "rebuild ./data/readmodels.db from ./data/events.db" }])
)
