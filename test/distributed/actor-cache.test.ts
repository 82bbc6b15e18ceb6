import { afterAll, beforeAll, expect, it } from "vitest"
import { Effect, Exit, Scope } from "effect"
import { makeJetStreamEventStore } from "@machhub/adapters"
import { EventStore, makeActorSystem, recordAggregate, uuidv7, type ActorSystemService, type Command } from "@machhub/core"
import { describeWithNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"

/**
 * Two processes' actor systems on one JetStream log, in this process so that the test chooses which
 * one handles each command (across real processes the NATS queue group chooses at random). Each
 * system keeps the state of the aggregates it handled in memory; the other one may append meanwhile.
 */
describeWithNats("actor systems of two processes on one JetStream log", () => {
  let nats: NatsTestServer
  let scope: Scope.Closeable
  let systems: ReadonlyArray<ActorSystemService>
  beforeAll(async () => {
    nats = await startNatsServer()
    scope = Effect.runSync(Scope.make())
    systems = await Effect.runPromise(
      Effect.gen(function*() {
        const out: Array<ActorSystemService> = []
        for (let n = 0; n < 2; n++) {
          // Its own connection per "process", as in the server.
          const store = yield* makeJetStreamEventStore({ servers: nats.url, streamName: "DIST_ACTORS" })
          out.push(yield* makeActorSystem([recordAggregate]).pipe(Effect.provideService(EventStore, store)))
        }
        return out
      }).pipe(Scope.provide(scope))
    )
  })
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    await nats?.dispose()
  })

  const system = { kind: "system", id: "test" } as const
  const recordCommand = (id: string, type: string, payload: unknown, extra: Partial<Command> = {}): Command => ({
    id: uuidv7(),
    type,
    category: "record",
    domain: "acme",
    aggregateId: `parts:${id}`,
    actor: system,
    payload,
    correlationId: uuidv7(),
    ...extra
  })

  // An actor keeps its aggregate's state between commands; another process may have appended since.
  // An append would notice (its expected version fails), but answers that append nothing (a stale
  // If-Match, a refusal, a no-op) are given only after the actor has caught up with the log.
  it("accepts an If-Match of the current version after the other process appended", async () => {
    const [a, b] = [systems[0]!, systems[1]!]
    const id = uuidv7()
    const run = (actors: ActorSystemService, command: Command) => Effect.runPromise(Effect.result(actors.handle(command)))
    const created = await run(a, recordCommand(id, "createRecord", { table: "parts", id, data: { n: 0 }, creator: system }))
    expect(created._tag).toBe("Success")
    // a updates v1 -> v2 (and caches v2); b updates v2 -> v3.
    expect((await run(a, recordCommand(id, "updateRecord", { changes: { n: 1 } }, { expectedVersion: 1 })))._tag).toBe("Success")
    expect((await run(b, recordCommand(id, "updateRecord", { changes: { n: 2 } }, { expectedVersion: 2 })))._tag).toBe("Success")
    // The current version is 3: a must accept it.
    const third = await run(a, recordCommand(id, "updateRecord", { changes: { n: 3 } }, { expectedVersion: 3 }))
    expect(third._tag === "Failure" ? third.failure.message : "accepted").toBe("accepted")
  })

  it("does not refuse a command on a state the other process has moved past", async () => {
    const [a, b] = [systems[0]!, systems[1]!]
    const id = uuidv7()
    const run = (actors: ActorSystemService, command: Command) => Effect.runPromise(Effect.result(actors.handle(command)))
    // a learns the record does not exist (and keeps that state); then b creates it.
    const early = await run(a, recordCommand(id, "updateRecord", { changes: { n: 1 } }))
    expect(early._tag === "Failure" ? early.failure : "accepted").toMatchObject({ _tag: "CommandRejected", reason: "not_found" })
    expect((await run(b, recordCommand(id, "createRecord", { table: "parts", id, data: { n: 0 }, creator: system })))._tag).toBe("Success")
    const update = await run(a, recordCommand(id, "updateRecord", { changes: { n: 1 } }))
    expect(update._tag === "Success" ? update.success.version : update.failure.message).toBe(2)
  })
})
