import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { tempDir } from "../support/temp.js"
import { startCli } from "./cliProcess.js"
import { newEvent, withStore } from "./logFixture.js"

const at = "2025-01-01T00:00:00.000Z"
const created = (n: number) =>
  newEvent("RecordCreated", { table: "t", id: `r${n}`, data: { n }, creator: { kind: "user", id: "u1" } }, { domain: "acme", actor: "user:u1", at })

describe("machhub tail", () => {
  const dir = tempDir("machhub-cli-tail-")
  afterAll(() => dir.cleanup())
  const path = join(dir.path, "events.db")

  it("follows events committed by another process after it started, with no gap and no duplicate", async () => {
    await withStore(path, (store) =>
      Effect.gen(function*() {
        // Already in the log: not printed by a tail that starts at the end.
        for (let n = 1; n <= 5; n++) yield* store.append(`record-acme-t:r${n}`, "no_stream", [created(n)])

        const tail = startCli(["tail", "--data-dir", dir.path, "--format", "ndjson", "--interval", "20"])
        const seen = () => tail.stdout().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line).position as number)
        try {
          yield* Effect.promise(() => tail.waitFor(() => tail.stderr().includes("from position 6")))
          // Appends in bursts, concurrently (one group commit each) and one by one, while the CLI polls.
          for (let burst = 0; burst < 10; burst++) {
            const from = 6 + burst * 30
            yield* Effect.forEach(Array.from({ length: 25 }, (_, i) => from + i), (n) => store.append(`record-acme-t:r${n}`, "no_stream", [created(n)]), {
              concurrency: "unbounded",
              discard: true
            })
            for (let n = from + 25; n < from + 30; n++) yield* store.append(`record-acme-t:r${n}`, "no_stream", [created(n)])
            yield* Effect.sleep(burst % 2 === 0 ? "1 millis" : "30 millis")
          }
          yield* Effect.promise(() => tail.waitFor(() => seen().length >= 300))
          yield* Effect.sleep("100 millis")
          expect(seen()).toEqual(Array.from({ length: 300 }, (_, i) => 6 + i))
        } finally {
          tail.child.kill("SIGINT")
        }
        const exit = yield* Effect.promise(() => tail.exited)
        expect(exit.code).toBe(130)
      })
    )
  })

  it("catches up from --from, then follows; a filter applies to both phases", async () => {
    const tail = startCli(["tail", "--data-dir", dir.path, "--from", "3", "--stream", "record-acme-t:r5,record-acme-t:r400"])
    try {
      await tail.waitFor(() => tail.stdout().includes("#5 "))
      await withStore(path, (store) => store.append("record-acme-t:r400", "no_stream", [created(400)]))
      await tail.waitFor(() => tail.stdout().includes("#306 "))
      expect(tail.stdout()).toBe(
        `#5 ${at} acme RecordCreated record-acme-t:r5 v1 by user:u1\n#306 ${at} acme RecordCreated record-acme-t:r400 v1 by user:u1\n`
      )
    } finally {
      tail.child.kill("SIGINT")
      await tail.exited
    }
  })
})
