import Database from "better-sqlite3"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { allProjections, openScratchReadModelDatabase, replayProjections } from "@machhub/projections"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { locateDataDir } from "../dataDir.js"
import { CommandFailed, failed, ReadModelsDiffer, UsageError } from "../errors.js"
import { batchSize, dataDir } from "../flags.js"
import { count } from "../format.js"
import { openLog } from "../log.js"
import { Progress } from "../progress.js"
import { tableNames } from "../readmodels/tables.js"
import { compareTable } from "../verify/compareTable.js"
import { checkBatchSize } from "./replay.js"

/**
 * Not compared: checkpoints are compared as positions instead, and `record_indexes` lists expression
 * indexes that queries created on demand, which no event records.
 */
const notCompared = new Set(["projection_checkpoints", "record_indexes"])

interface Checkpoint {
  readonly version: number
  readonly position: number
}

/**
 * Opens the live read models read-only inside one read transaction: every table is compared as of the
 * same instant even while a server keeps applying events, and the replay is taken to exactly the
 * positions recorded in that snapshot.
 */
const openLiveSnapshot = (path: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const db = new Database(path, { readonly: true, fileMustExist: true })
        db.pragma("busy_timeout = 5000")
        db.exec("BEGIN")
        return db
      },
      catch: failed(`cannot open the read models ${path}`)
    }),
    (db) => Effect.sync(() => db.close())
  )

export const verifyCommand = Command.make(
  "verify",
  {
    dataDir,
    batchSize,
    maxDifferences: Flag.Int("max-differences").pipe(Flag.withDescription("rows shown per differing table"), Flag.withDefault(10)),
    scratchDir: Flag.String("scratch-dir").pipe(
      Flag.withDescription("where to build the scratch read models (as large as readmodels.db); default: the OS temp dir"),
      Flag.withDefault(tmpdir())
    )
  },
  (flags) =>
    Effect.scoped(Effect.gen(function*() {
      const size = yield* checkBatchSize(flags.batchSize)
      if (flags.maxDifferences < 0) return yield* new UsageError({ message: `--max-differences must be >= 0, got ${flags.maxDifferences}` })
      const paths = yield* locateDataDir(flags.dataDir)
      if (!existsSync(paths.readModels)) return yield* new CommandFailed({ message: `no read models at ${paths.readModels} to verify` })
      const log = yield* openLog(paths.events)
      const live = yield* openLiveSnapshot(paths.readModels)
      const head = log.head()

      const problems: Array<string> = []
      const checkpoints = new Map(
        tableNames(live).includes("projection_checkpoints")
          ? live.prepare<[], Checkpoint & { name: string }>("SELECT name, version, position FROM projection_checkpoints").all().map((c) => [c.name, c] as const)
          : []
      )
      const targets = allProjections.map((projection) => {
        const checkpoint = checkpoints.get(projection.name)
        if (checkpoint === undefined) {
          problems.push(`${projection.name}: no checkpoint in the live read models`)
          return 0
        }
        if (checkpoint.version !== projection.version) {
          problems.push(`${projection.name}: live read model has version ${checkpoint.version}, this build's projection version ${projection.version} (a server would rebuild it)`)
        }
        if (checkpoint.position > head) problems.push(`${projection.name}: live read model is at position ${checkpoint.position}, past the log's head ${head}`)
        return Math.min(checkpoint.position, head)
      })
      const upTo = Math.max(0, ...targets)

      const dir = yield* Effect.acquireRelease(
        Effect.try({ try: () => mkdtempSync(join(flags.scratchDir, "machhub-verify-")), catch: failed(`cannot create a scratch directory in ${flags.scratchDir}`) }),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      const scratch = yield* Effect.acquireRelease(
        Effect.try({ try: () => openScratchReadModelDatabase(join(dir, "readmodels.db")), catch: failed("cannot create the scratch read models") }),
        (db) => Effect.sync(() => db.close())
      )
      const progress = new Progress("verify: replay", upTo)
      const replayed = yield* replayProjections(scratch, allProjections, log.select({ upTo }), {
        upTo,
        targets,
        batchSize: size,
        // Tables are compared by scanning them in primary-key order: secondary indexes would go unused.
        indexes: "skip",
        onBatch: (position, events) => progress.update(position, events)
      }).pipe(Effect.mapError((error) => new CommandFailed({ message: error.message })))
      progress.finish(replayed.position, replayed.events)

      const out: Array<string> = []
      const positions = new Set(targets)
      out.push(
        positions.size === 1
          ? `verify: live read models at position ${count(upTo)} (log head ${count(head)})`
          : `verify: live read models at positions ${allProjections.map((p, i) => `${p.name} ${count(targets[i]!)}`).join(", ")} (log head ${count(head)})`
      )
      for (const problem of problems) out.push(`  DIFF  ${problem}`)

      const liveTables = new Set(tableNames(live).filter((t) => !notCompared.has(t)))
      const replayTables = tableNames(scratch).filter((t) => !notCompared.has(t))
      let differingTables = 0
      let compared = 0
      for (const table of replayTables) {
        if (!liveTables.has(table)) {
          out.push(`  DIFF  ${table.padEnd(24)} missing from the live read models`)
          differingTables++
          continue
        }
        const result = yield* Effect.try({
          try: () => compareTable(live, scratch, table, flags.maxDifferences),
          catch: failed(`comparing table ${table}`)
        })
        compared++
        if (result.differing === 0) {
          out.push(`  ok    ${table.padEnd(24)} ${count(result.liveRows).padStart(12)} rows  sha256 ${result.liveChecksum.slice(0, 16)}`)
        } else {
          differingTables++
          out.push(`  DIFF  ${table.padEnd(24)} ${count(result.differing)} rows differ (live ${count(result.liveRows)} rows, replay ${count(result.replayRows)})`)
          for (const difference of result.differences) out.push(`          ${difference}`)
          if (result.differing > result.differences.length) out.push(`          ... and ${count(result.differing - result.differences.length)} more`)
        }
      }
      for (const table of liveTables) {
        if (!replayTables.includes(table)) out.push(`  skip  ${table.padEnd(24)} not produced by any projection (not compared)`)
      }
      const differs = differingTables > 0 || problems.length > 0
      out.push(differs
        ? `verify: ${differingTables} of ${replayTables.length} tables differ from a replay of the log${problems.length > 0 ? `, ${problems.length} checkpoint problems` : ""}`
        : `verify: ${compared} tables equal to a replay of the log`)
      process.stdout.write(`${out.join("\n")}\n`)
      if (differs) return yield* new ReadModelsDiffer({ message: "the read models differ from a replay of the log (see above)" })
    }))
).pipe(
  Command.withShortDescription("compare the live read models with a replay of the log; exit 1 on difference"),
  Command.withDescription(
    "Rebuild every read model from the log into a scratch database and compare it with the live read models, " +
      "table by table (SHA-256 over the rows in key order), printing the rows that differ. Exit 1 when anything differs. " +
      "Read-only on the data directory: safe next to a running server (it compares one consistent snapshot)."
  ),
  Command.withExamples([{ command: "machhub verify --data-dir ./data", description: "check ./data/readmodels.db against ./data/events.db" }])
)
