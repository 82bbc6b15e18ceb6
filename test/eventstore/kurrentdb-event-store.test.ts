import { describe } from "@effect/vitest"
import { makeKurrentDbEventStore } from "@machhub/adapters"
import { eventStoreContract } from "../contracts/event-store.contract.js"

/**
 * The contract against a real KurrentDB, when `KURRENTDB_URL` names one (e.g.
 * `kurrentdb://127.0.0.1:2113?tls=false`). There is no KurrentDB server on this project's machines,
 * so without it the suite is skipped, in CI too; the adapter's mapping code is unit-tested in
 * kurrentdb-mapping.test.ts. Each store gets its own stream prefix, so tests sharing the database see
 * only their own events (the prefix is also how two applications can share one database).
 */
const url = process.env.KURRENTDB_URL
const run = `t${Date.now().toString(36)}`
let counter = 0

if (url === undefined || url === "") {
  describe.skip("EventStore contract: KurrentDB (set KURRENTDB_URL to run it)", () => {
    eventStoreContract("KurrentDB", () => makeKurrentDbEventStore({}))
  })
} else {
  eventStoreContract("KurrentDB", () => makeKurrentDbEventStore({ connectionString: url, streamPrefix: `${run}_${++counter}.` }))
}
