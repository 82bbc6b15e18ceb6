import { Effect } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { EventStore, uuidv7, type NewEvent, type TagEvent } from "@machhub/core"
import { makeProjectionRunner, makeTagsReadModel, openReadModelDatabase, tagsProjection } from "@machhub/projections"
import { tempDir } from "../support/temp.js"

const event = (domain: string, e: TagEvent): NewEvent => ({
  id: uuidv7(),
  type: e.type,
  data: e.data,
  meta: { domain, actor: { kind: "user", id: "u1" }, correlationId: uuidv7(), causationId: null, commandId: null, at: new Date().toISOString() }
})

const setup = Effect.gen(function*() {
  const dir = tempDir()
  yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
  const store = yield* makeSqliteEventStore({ path: `${dir.path}/events.db` })
  const db = openReadModelDatabase(`${dir.path}/rm.db`)
  yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
  const runner = yield* makeProjectionRunner(db, [tagsProjection]).pipe(Effect.provideService(EventStore, store))
  const tags = makeTagsReadModel(db, runner.onApplied)
  const append = (domain: string, topic: string, expected: "no_stream" | number, e: TagEvent) =>
    Effect.gen(function*() {
      const appended = yield* store.append(`tag-${domain}-${topic}`, expected, [event(domain, e)])
      yield* runner.waitFor(appended.position)
    })
  return { tags, append }
})

describe("tags read model", () => {
  it.effect("lists a domain's tags by topic, its historized ones, and nothing of another domain", () =>
    Effect.gen(function*() {
      const { tags, append } = yield* setup
      yield* append("acme", "b/speed", "no_stream", { type: "TagDefined", data: { topic: "b/speed", access: "RW", autocreated: true } })
      yield* append("acme", "a/temp", "no_stream", {
        type: "TagDefined",
        data: { topic: "a/temp", description: "oven", access: "R", historize: { type: "timeseries", samplingTime: "1s", retention: "30d" } }
      })
      yield* append("other", "a/temp", "no_stream", { type: "TagDefined", data: { topic: "a/temp", access: "RW" } })

      expect(tags.list("acme").map((t) => t.topic)).toEqual(["a/temp", "b/speed"])
      expect(tags.historized("acme").map((t) => t.topic)).toEqual(["a/temp"])
      expect(tags.get("acme", "a/temp")).toMatchObject({
        topic: "a/temp", description: "oven", access: "R", historize: { type: "timeseries", samplingTime: "1s", retention: "30d" }, autocreated: false, version: 1
      })
      expect(tags.get("acme", "b/speed")).toMatchObject({ access: "RW", autocreated: true })
      expect(tags.get("acme", "b/speed")?.historize).toBeUndefined()
      expect(tags.get("other", "a/temp")).toMatchObject({ access: "RW" })
      expect(tags.get("other", "b/speed")).toBeUndefined()
      expect(tags.historized("other")).toEqual([])
      expect(tags.list("nobody")).toEqual([])
    }).pipe(Effect.scoped))

  it.effect("follows redefinitions and removals, even of an answer it kept in memory", () =>
    Effect.gen(function*() {
      const { tags, append } = yield* setup
      expect(tags.get("acme", "t")).toBeUndefined() // kept as "not defined"
      yield* append("acme", "t", "no_stream", { type: "TagDefined", data: { topic: "t", access: "RW" } })
      expect(tags.get("acme", "t")).toMatchObject({ access: "RW", version: 1 })
      yield* append("acme", "t", 1, { type: "TagDefined", data: { topic: "t", access: "R", historize: { type: "event" } } })
      expect(tags.get("acme", "t")).toMatchObject({ access: "R", historize: { type: "event" }, version: 2 })
      expect(tags.historized("acme").map((t) => t.topic)).toEqual(["t"])
      yield* append("acme", "t", 2, { type: "TagRemoved", data: { topic: "t" } })
      expect(tags.get("acme", "t")).toBeUndefined()
      expect(tags.list("acme")).toEqual([])
      yield* append("acme", "t", 3, { type: "TagDefined", data: { topic: "t", access: "RW", autocreated: true } })
      expect(tags.get("acme", "t")).toMatchObject({ autocreated: true, version: 4 })
    }).pipe(Effect.scoped))
})
