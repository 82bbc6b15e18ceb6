import { defaultReplayBatchSize } from "@machhub/projections"
import { Flag } from "effect/cli"

/** Same default as the server (MACHHUB_DATA_DIR, else ./data). */
export const dataDir = Flag.String("data-dir").pipe(
  Flag.withAlias("d"),
  Flag.withDescription("the server's data directory (holds events.db and readmodels.db); default $MACHHUB_DATA_DIR or ./data"),
  Flag.withDefault(process.env["MACHHUB_DATA_DIR"] || "./data")
)

export const batchSize = Flag.Int("batch-size").pipe(
  Flag.withDescription("events per read and per read-model transaction"),
  Flag.withDefault(defaultReplayBatchSize)
)

/** A repeatable flag; each occurrence may also hold a comma-separated list. */
const list = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(`${description} (repeatable, or comma-separated)`),
    Flag.atLeast(0),
    Flag.map((values) => values.flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== ""))
  )

/** Filters shared by `export` and `tail`; validated by EventFilter.parseFilter. */
export const filterFlags = {
  domain: list("domain", "only events of this domain"),
  stream: list("stream", "only events of this stream, e.g. record-acme-products:7f3a"),
  type: list("type", "only events of this type, e.g. RecordCreated"),
  actor: list("actor", "only events caused by this actor: kind:id (user:42) or just the id"),
  since: Flag.String("since").pipe(Flag.withDescription("only events decided at or after this ISO-8601 time"), Flag.optional),
  until: Flag.String("until").pipe(Flag.withDescription("only events decided at or before this ISO-8601 time"), Flag.optional)
}
