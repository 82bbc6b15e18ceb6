import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { locateDataDir } from "../dataDir.js"
import { failed, UsageError } from "../errors.js"
import { eventJsonLine } from "../events/eventJson.js"
import { metaMatcher, parseFilter, parsePosition } from "../events/EventFilter.js"
import { dataDir, filterFlags } from "../flags.js"
import { count } from "../format.js"
import { openLog } from "../log.js"
import { openOutput, OutputClosed } from "../output.js"

/** Events per read: big enough to amortise a query, small enough that memory stays flat. */
const pageSize = 1_000

export const exportCommand = Command.make(
  "export",
  {
    dataDir,
    out: Flag.String("out").pipe(Flag.withAlias("o"), Flag.withDescription("write to this file instead of stdout"), Flag.optional),
    from: Flag.Int("from").pipe(Flag.withDescription("first log position (inclusive)"), Flag.optional),
    to: Flag.Int("to").pipe(Flag.withDescription("last log position (inclusive); default: the head when the export starts"), Flag.optional),
    ...filterFlags
  },
  (flags) =>
    Effect.scoped(Effect.gen(function*() {
      const filter = yield* parseFilter(flags)
      const from = (yield* parsePosition("from", flags.from)) ?? 1
      const to = yield* parsePosition("to", flags.to)
      if (to !== undefined && from > to) return yield* new UsageError({ message: `--from ${from} is after --to ${to}` })
      const paths = yield* locateDataDir(flags.dataDir)
      const log = yield* openLog(paths.events)
      const output = yield* openOutput(Option.getOrUndefined(flags.out))
      // The log as it stands now: an export next to a live server ends instead of following it.
      const upTo = Math.min(to ?? Number.MAX_SAFE_INTEGER, log.head())
      const read = log.select({ upTo, streams: filter.streams, types: filter.types })
      const matches = metaMatcher(filter)
      let next = from
      let written = 0
      while (next <= upTo) {
        const start = next
        const page = yield* Effect.try({ try: () => read(start, pageSize), catch: failed(`reading the log at position ${start}`) })
        let chunk = ""
        for (const event of page.events) {
          if (!matches(event)) continue
          chunk += eventJsonLine(event)
          written++
        }
        if (chunk !== "") yield* output.write(chunk)
        next = page.next
      }
      process.stderr.write(`export: ${count(written)} events from positions ${count(from)}..${count(Math.max(upTo, 0))} to ${output.description}\n`)
    })).pipe(Effect.catchTag("OutputClosed", (_: OutputClosed) => Effect.void))
).pipe(
  Command.withShortDescription("write events as NDJSON to stdout or a file, with filters"),
  Command.withDescription(
    "Write events of the log as NDJSON (one JSON envelope per line, in log order) to stdout or --out. " +
      "Filters combine with AND; values of one repeated filter with OR. Reads the log read-only: safe next to a running server."
  ),
  Command.withExamples([
    { command: "machhub export --data-dir ./data --out events.ndjson", description: "the whole log into a file" },
    { command: "machhub export --domain acme --type RecordCreated,RecordUpdated --since 2025-03-01", description: "record changes of one domain since a date" },
    { command: "machhub export --from 1000 --to 1999 --stream record-acme-products:7f3a", description: "one stream within a range of positions" }
  ])
)
