import type Database from "better-sqlite3"
import type { RecordedEvent } from "@machhub/core"

/**
 * A read model fed by events. `apply` runs inside the runner's transaction, together with the update
 * of the projection's checkpoint, so a row is never applied twice or lost across a crash.
 * Bump `version` when the tables or the way events are applied change: the runner then rebuilds the
 * projection from position 1.
 * `apply` should find rows by primary key or UNIQUE index: `machhub replay` builds plain (non-unique)
 * indexes only after the whole log is applied (see replayProjections).
 */
export interface Projection {
  readonly name: string
  readonly version: number
  /** Creates tables and indexes if absent. */
  setup(db: Database.Database): void
  /** Removes every row (or drops the tables) so the projection can be rebuilt from the log. */
  reset(db: Database.Database): void
  apply(db: Database.Database, event: RecordedEvent): void
}
