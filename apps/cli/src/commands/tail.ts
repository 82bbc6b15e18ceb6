import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { locateDataDir } from "../dataDir.js"
import { failed, UsageError } from "../errors.js"
import { eventCompactLine, eventJsonLine } from "../events/eventJson.js"
import { metaMatcher, parseFilter, parsePosition } from "../events/EventFilter.js"
import { dataDir, filterFlags } from "../flags.js"
import { openLog } from "../log.js"
import { openOutput } from "../output.js"

const pageSize = 500

/**
 * Follows the log of a server running in ANOTHER process. That process's in-memory commit signal cannot
 * reach us, so the CLI polls: it reads from the position after the last event it saw; a full page is
 * followed at once by the next read, an empty or partial page by a pause of --interval ms. Each read and
 * the head it is checked against come from one SQLite read transaction (SqliteLogReader.select), which
 * is what makes the loop exact: no gap (positions are assigned in commit order by the single writer, so
 * nothing can appear below a position already passed) and no duplicate (reads only move forward).
 */
export const tailCommand = Command.make(
  "tail",
  {
    dataDir,
    from: Flag.Int("from").pipe(
      Flag.withDescription("start at this log position (inclusive) and catch up before following; default: only new events"),
      Flag.optional
    ),
    format: Flag.Literals("format", ["line", "ndjson"]).pipe(
      Flag.withDescription("line: one compact line per event; ndjson: the JSON envelope, as export writes it"),
      Flag.withDefault("line")
    ),
    interval: Flag.Int("interval").pipe(Flag.withDescription("milliseconds between polls once caught up"), Flag.withDefault(200)),
    ...filterFlags
  },
  (flags) =>
    Effect.scoped(Effect.gen(function*() {
      const filter = yield* parseFilter(flags)
      const from = yield* parsePosition("from", flags.from)
      if (flags.interval < 10 || flags.interval > 60_000) {
        return yield* new UsageError({ message: `--interval must be between 10 and 60000 ms, got ${flags.interval}` })
      }
      const paths = yield* locateDataDir(flags.dataDir)
      const log = yield* openLog(paths.events)
      const output = yield* openOutput(undefined)
      const read = log.select({ streams: filter.streams, types: filter.types })
      const matches = metaMatcher(filter)
      const line = flags.format === "ndjson" ? eventJsonLine : eventCompactLine
      let next = from ?? log.head() + 1
      process.stderr.write(`tail: following ${paths.events} from position ${next} (Ctrl-C to stop)\n`)
      while (true) {
        const start = next
        const page = yield* Effect.try({ try: () => read(start, pageSize), catch: failed(`reading the log at position ${start}`) })
        let chunk = ""
        for (const event of page.events) if (matches(event)) chunk += line(event)
        if (chunk !== "") yield* output.write(chunk)
        next = page.next
        if (page.events.length < pageSize) yield* Effect.sleep(flags.interval)
      }
    })).pipe(Effect.catchTag("OutputClosed", () => Effect.void))
).pipe(
  Command.withShortDescription("follow new events live until Ctrl-C"),
  Command.withDescription(
    "Follow the log live, printing each new event, until Ctrl-C. Reads the log read-only and polls it for " +
      "commits of the server (another process), with no gap and no duplicate."
  ),
  Command.withExamples([
    { command: "machhub tail --data-dir ./data", description: "new events, one line each" },
    { command: "machhub tail --from 1 --format ndjson --domain acme", description: "the whole log of a domain, then live, as NDJSON" }
  ])
)
