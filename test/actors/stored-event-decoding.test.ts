import { Effect, Result, Schema } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import {
  CommandFailed,
  CommandRejected,
  DOMAIN_CATEGORY,
  domainAggregate,
  domainDecider,
  DomainCreated,
  CreateDomain,
  EventStore,
  EventSchema,
  fromDecider,
  makeActorSystem,
  makeEventDecoder,
  uuidv7,
  type Command,
  type NewEvent,
  type RecordedEvent
} from "@machhub/core"
import { tempDir } from "../support/temp.js"

const withStore = Effect.gen(function*() {
  const dir = tempDir()
  yield* Effect.addFinalizer(() => Effect.sync(dir.cleanup))
  return yield* makeSqliteEventStore({ path: `${dir.path}/events.db` })
})

const stored = (type: string, data: unknown): NewEvent => ({
  id: uuidv7(),
  type,
  data,
  meta: { domain: "acme", actor: { kind: "system", id: "test" }, correlationId: uuidv7(), causationId: null, commandId: null, at: new Date().toISOString() }
})

const createDomain = (): Command => ({
  id: uuidv7(),
  type: "createDomain",
  category: DOMAIN_CATEGORY,
  domain: "acme",
  aggregateId: "acme",
  actor: { kind: "system", id: "test" },
  payload: {},
  correlationId: uuidv7()
})

const recorded = (type: string, data: unknown, version = 1): RecordedEvent => ({ ...stored(type, data), stream: "domain-acme-acme", version, position: version })

/** How an older release recorded a domain's creation: another type name and field. */
const DomainFounded = EventSchema("DomainFounded", { title: Schema.String })

const upcastFounded = (event: RecordedEvent) =>
  event.type === "DomainFounded" ? { type: "DomainCreated", data: { name: (event.data as { title: string }).title } } : event

describe("stored events are decoded by their aggregate's Schemas before evolve", () => {
  it("decodes a stored event into what evolve folds, without the envelope", () => {
    const decode = makeEventDecoder([DomainCreated])
    const decoded = decode(recorded("DomainCreated", { name: "acme" }))
    expect(decoded).toEqual(Result.succeed({ type: "DomainCreated", data: { name: "acme" } }))
  })

  it("names the stream, version, type and problem of an event that does not decode", () => {
    const decode = makeEventDecoder([DomainCreated])
    const wrongField = decode(recorded("DomainCreated", { name: 42 }, 3))
    expect(Result.isFailure(wrongField)).toBe(true)
    const failure = Result.isFailure(wrongField) ? wrongField.failure : undefined
    expect(failure).toMatchObject({ _tag: "StoredEventInvalid", stream: "domain-acme-acme", version: 3, type: "DomainCreated" })
    expect(failure!.message).toMatch(/^stored event domain-acme-acme version 3 \(DomainCreated\) cannot be read: .*name/)
    const unknownType = decode(recorded("DomainRenamed", { name: "x" }))
    expect(Result.isFailure(unknownType) && unknownType.failure.problem).toBe("its aggregate declares no such event type")
  })

  it("upcasts an old version before decoding it; without an upcast the old version is refused", () => {
    const old = recorded("DomainFounded", { title: "acme" })
    expect(makeEventDecoder([DomainCreated], upcastFounded)(old)).toEqual(Result.succeed({ type: "DomainCreated", data: { name: "acme" } }))
    // Events already current pass through the upcast unchanged.
    expect(makeEventDecoder([DomainCreated], upcastFounded)(recorded("DomainCreated", { name: "b" })))
      .toEqual(Result.succeed({ type: "DomainCreated", data: { name: "b" } }))
    expect(Result.isFailure(makeEventDecoder([DomainCreated])(old))).toBe(true)
    // The schema of the old version is not needed to upcast it; it only documents it.
    expect(Schema.is(DomainFounded)(old)).toBe(true)
  })

  it.effect("fails the aggregate's load with a clear error when a stored event does not decode, and appends nothing", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      yield* store.append("domain-acme-acme", 0, [stored("DomainCreated", { name: 42 })])
      const actors = yield* makeActorSystem([domainAggregate]).pipe(Effect.provideService(EventStore, store))
      const error = yield* Effect.flip(actors.handle(createDomain()))
      expect(error).toBeInstanceOf(CommandFailed)
      expect(error.message).toContain("stored event domain-acme-acme version 1 (DomainCreated) cannot be read")
      expect(error.message).toContain("name")
      expect((yield* store.readStream("domain-acme-acme")).length).toBe(1)
    }).pipe(Effect.scoped))

  it.effect("folds an upcast old event like the current one: the domain exists, so creating it again conflicts", () =>
    Effect.gen(function*() {
      const store = yield* withStore
      yield* store.append("domain-acme-acme", 0, [stored("DomainFounded", { title: "acme" })])
      const upcasting = fromDecider({
        category: DOMAIN_CATEGORY,
        decider: domainDecider,
        commands: [CreateDomain],
        events: [DomainCreated],
        fromEnvelope: (command) => ({ name: command.domain }),
        upcast: upcastFounded
      })
      const actors = yield* makeActorSystem([upcasting]).pipe(Effect.provideService(EventStore, store))
      const error = yield* Effect.flip(actors.handle(createDomain()))
      expect(error).toBeInstanceOf(CommandRejected)
      expect(error).toMatchObject({ reason: "conflict", message: "domain acme already exists" })
    }).pipe(Effect.scoped))
})
