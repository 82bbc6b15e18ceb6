import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { uuidv7, type EventStoreService, type RecordedEvent } from "@machhub/core"
import { auditProjection, makeAuditIndex, openReadModelDatabase, type ProjectionRunnerService } from "@machhub/projections"
import { makeAuditReader, type AuditPage, type EventFilter } from "../../apps/server/src/audit/AuditReader.js"

const DOMAINS = ["acme", "globex", "initech"]
const TYPES = ["Created", "Updated", "LoginFailed"]
const ACTORS = ["u1", "u2", "k1", "system"]

/** A log of interleaved streams whose clock steps back once, indexed as the server does. */
const setup = (store: EventStoreService) =>
  Effect.gen(function*() {
    const versions = new Map<string, number>()
    let clock = Date.parse("2025-03-01T00:00:00Z")
    for (let n = 0; n < 600; n++) {
      const domain = DOMAINS[n % 3]!
      const stream = `thing-${domain}-${n % 7}`
      clock += n === 300 ? -60_000 : 1000 // one clock step back
      const version = versions.get(stream) ?? 0
      yield* store.append(stream, version, [{
        id: uuidv7(),
        type: TYPES[(n * 7) % 3]!,
        data: { n },
        meta: { domain, actor: { kind: "user", id: ACTORS[(n * 5) % 4]! }, correlationId: "c", causationId: null, commandId: null, at: new Date(clock).toISOString() }
      }])
      versions.set(stream, version + 1)
    }
    const db = openReadModelDatabase(":memory:")
    auditProjection.setup(db)
    const all = yield* store.readAll(1, 10_000)
    db.transaction(() => all.forEach((event) => auditProjection.apply(db, event)))()
    const head = all[all.length - 1]!.position
    const projections = { position: () => head, waitFor: () => Effect.succeed(true) } as unknown as ProjectionRunnerService
    return { all, reader: makeAuditReader({ store, projections, index: makeAuditIndex(db) }) }
  })

const brute = (all: ReadonlyArray<RecordedEvent>, f: EventFilter) =>
  all.filter((e) =>
    e.position >= f.from && (f.to === undefined || e.position <= f.to) &&
    (f.domain === undefined || e.meta.domain === f.domain) && (f.stream === undefined || e.stream === f.stream) &&
    (f.type === undefined || e.type === f.type) && (f.actor === undefined || e.meta.actor.id === f.actor) &&
    (f.since === undefined || Date.parse(e.meta.at) >= f.since) && (f.until === undefined || Date.parse(e.meta.at) <= f.until))

const filters = (all: ReadonlyArray<RecordedEvent>): Array<EventFilter> => {
  const t = (i: number) => Date.parse(all[i]!.meta.at)
  return [
    { from: 1 },
    { from: 250 },
    { from: 1, domain: "globex" },
    { from: 100, domain: "acme", type: "LoginFailed" },
    { from: 1, type: "Updated" },
    { from: 1, actor: "k1" },
    { from: 50, actor: "u2", domain: "initech", type: "Created" },
    { from: 1, stream: "thing-acme-3" },
    { from: 333, stream: "thing-globex-1", type: "Created" },
    { from: 1, since: t(100), until: t(200) },
    { from: 1, since: t(280) }, // straddles the clock step: found by `since`
    { from: 1, domain: "acme", since: t(10), until: t(290) },
    { from: 1, type: "LoginFailed", since: t(400) },
    { from: 1, domain: "nowhere" },
    { from: 1, to: 120, domain: "globex" }
  ]
}

describe("the audit reader (index + store)", () => {
  it("pages every filter combination to exactly what the log holds, following `next`", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: ":memory:" })
      const { all, reader } = yield* setup(store)
      for (const filter of filters(all)) {
        const expected = brute(all, filter).map((e) => e.position)
        for (const limit of [1, 7, 1000]) {
          const seen: Array<number> = []
          let from: number | null = filter.from
          for (let guard = 0; from !== null && guard < 1000; guard++) {
            const page: AuditPage = yield* reader.page({ ...filter, from }, limit)
            expect(page.events.length).toBeLessThanOrEqual(limit)
            seen.push(...page.events.map((e) => e.position))
            from = page.next
          }
          expect(seen, `${JSON.stringify(filter)} limit ${limit}`).toEqual(expected)
        }
      }
    }))))

  it("exports every filter combination in bounded batches, and honours a cap", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: ":memory:" })
      const { all, reader } = yield* setup(store)
      for (const filter of filters(all)) {
        const expected = brute(all, filter).map((e) => e.position)
        const seen: Array<number> = []
        yield* Effect.promise(async () => {
          for await (const batch of reader.batches(filter, 16)) {
            expect(batch.length).toBeLessThanOrEqual(16)
            seen.push(...batch.map((e) => e.position))
          }
        })
        expect(seen, JSON.stringify(filter)).toEqual(expected)
        const capped: Array<number> = []
        yield* Effect.promise(async () => {
          for await (const batch of reader.batches(filter, 16, 5)) capped.push(...batch.map((e) => e.position))
        })
        expect(capped).toEqual(expected.slice(0, 5))
      }
    }))))

  it("answers a stream's history by version", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: ":memory:" })
      const { all, reader } = yield* setup(store)
      const stream = all.filter((e) => e.stream === "thing-acme-0")
      const first = yield* reader.history("thing-acme-0", 1, 10, undefined)
      expect(first.events.map((e) => e.version)).toEqual(stream.slice(0, 10).map((e) => e.version))
      expect(first.next).toBe(11)
      const last = yield* reader.history("thing-acme-0", stream.length - 2, 10, undefined)
      expect(last.events).toHaveLength(3)
      expect(last.next).toBeNull()
      expect((yield* reader.history("thing-acme-0", 1, 10, "globex")).events).toEqual([])
    }))))
})
