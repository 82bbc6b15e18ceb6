import { Effect } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeSqliteEventStore, openSqliteLogReader } from "@machhub/adapters"
import { EventStore, uuidv7, type NewEvent } from "@machhub/core"
import {
  allProjections,
  makeProjectionRunner,
  openReadModelDatabase,
  openScratchReadModelDatabase,
  replayProjections,
  type Projection
} from "@machhub/projections"
import { readModelChecksums } from "../cli/readModelChecksums.js"
import { tempDir } from "../support/temp.js"

const event = (type: string, data: unknown, domain = "acme"): NewEvent => ({
  id: uuidv7(),
  type,
  data,
  meta: { domain, actor: { kind: "user", id: "u1" }, correlationId: uuidv7(), causationId: null, commandId: null, at: new Date(1_700_000_000_000).toISOString() }
})

/** A log touching every kind of read model: users, sessions, groups, collections and records. */
const fillLog = (path: string) =>
  Effect.gen(function*() {
    const store = yield* makeSqliteEventStore({ path })
    yield* store.append("domain-machhub_admin-acme", "no_stream", [event("DomainCreated", { name: "acme" }, "machhub_admin")])
    yield* store.append("group-acme-ops", "no_stream", [event("GroupCreated", { name: "ops", permissions: [] })])
    for (let u = 0; u < 5; u++) {
      yield* store.append(`user-acme-u${u}`, "no_stream", [
        event("UserRegistered", { userId: `u${u}`, username: `user${u}`, passwordHash: "h", memberships: [{ domain: "acme", groups: ["ops"] }] }),
        event("LoginSucceeded", { userId: `u${u}`, username: `user${u}`, address: null })
      ])
      yield* store.append(`session-acme-s${u}`, "no_stream", [event("SessionOpened", { sessionId: `s${u}`, userId: `u${u}`, refreshExpiresAt: 2_000_000_000, address: null })])
    }
    for (let r = 0; r < 60; r++) {
      const table = ["products", "orders", "parts"][r % 3]!
      yield* store.append(`record-acme-${table}:r${r}`, "no_stream", [
        event("RecordCreated", { table, id: `r${r}`, data: { n: r, name: `item ${r}` }, creator: { kind: "user", id: `u${r % 5}` } })
      ])
      if (r % 2 === 0) yield* store.append(`record-acme-${table}:r${r}`, 1, [event("RecordUpdated", { table, id: `r${r}`, changes: { n: r * 2 } })])
      if (r % 9 === 0) yield* store.append(`record-acme-${table}:r${r}`, "exists", [event("RecordDeleted", { table, id: `r${r}` })])
    }
    return store
  })

const indexSql = (path: string) => {
  const db = openReadModelDatabase(path)
  try {
    return db.prepare<[], string>("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all()
  } finally {
    db.close()
  }
}

describe("replayProjections", () => {
  it.effect("builds, in batches and with secondary indexes deferred, the read models the live runner builds", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
      const store = yield* fillLog(`${dir.path}/events.db`)
      const head = yield* store.headPosition

      const live = openReadModelDatabase(`${dir.path}/live.db`)
      const runner = yield* makeProjectionRunner(live, allProjections).pipe(Effect.provideService(EventStore, store))
      expect(yield* runner.waitFor(head, 30_000)).toBe(true)
      live.close()

      const log = openSqliteLogReader(`${dir.path}/events.db`)
      yield* Effect.addFinalizer(() => Effect.sync(() => log.close()))
      for (const batchSize of [1, 7, 10_000]) {
        const path = `${dir.path}/replay-${batchSize}.db`
        const scratch = openScratchReadModelDatabase(path)
        const batches: Array<number> = []
        const result = yield* replayProjections(scratch, allProjections, log.select({ upTo: head }), {
          upTo: head,
          batchSize,
          onBatch: (position) => batches.push(position)
        })
        scratch.close()
        expect(result).toEqual({ events: head, position: head })
        expect(batches.length).toBe(Math.ceil(head / batchSize))
        expect(readModelChecksums(path)).toEqual(readModelChecksums(`${dir.path}/live.db`))
        // Every index the projections declare exists again at the end, lazily created ones included.
        expect(indexSql(path)).toEqual(indexSql(`${dir.path}/live.db`))
      }
    }).pipe(Effect.scoped))

  it.effect("stops each projection at its own target position", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
      yield* fillLog(`${dir.path}/events.db`)
      const seen: Record<string, Array<number>> = { a: [], b: [] }
      const recording = (name: "a" | "b"): Projection => ({
        name,
        version: 1,
        setup: () => {},
        reset: () => {},
        apply: (_db, e) => void seen[name]!.push(e.position)
      })
      const log = openSqliteLogReader(`${dir.path}/events.db`)
      yield* Effect.addFinalizer(() => Effect.sync(() => log.close()))
      const scratch = openScratchReadModelDatabase(`${dir.path}/scratch.db`)
      yield* replayProjections(scratch, [recording("a"), recording("b")], log.select({ upTo: 20 }), { upTo: 20, targets: [5, 50], batchSize: 3 })
      expect(seen["a"]).toEqual([1, 2, 3, 4, 5])
      expect(seen["b"]).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      expect(scratch.prepare("SELECT name, position FROM projection_checkpoints ORDER BY name").all()).toEqual([
        { name: "a", position: 5 },
        { name: "b", position: 20 }
      ])
      scratch.close()
    }).pipe(Effect.scoped))
})
