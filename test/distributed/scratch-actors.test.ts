import { it } from "vitest"
import { Effect, Exit, Scope } from "effect"
import { makeJetStreamEventStore } from "@machhub/adapters"
import { EventStore, makeActorSystem, recordAggregate, uuidv7, type EventStoreService } from "@machhub/core"
import { startNatsServer } from "../support/nats-server.js"

it("actors on three stores", async () => {
  const nats = await startNatsServer()
  const scope = Effect.runSync(Scope.make())
  try {
    await Effect.runPromise(Effect.gen(function*() {
      const systems = []
      for (let n = 0; n < 3; n++) {
        const raw = yield* makeJetStreamEventStore({ servers: nats.url, streamName: "X" })
        const store: EventStoreService = {
          ...raw,
          readStream: (s, from, limit) => raw.readStream(s, from, limit).pipe(Effect.tap((evs) => Effect.sync(() => console.log(`node${n} readStream ${s.slice(-8)} from ${from} -> ${evs.map((e) => e.version)}`)))),
          append: (s, exp, evs) => raw.append(s, exp, evs).pipe(Effect.tapError((e) => Effect.sync(() => console.log(`node${n} append exp ${exp} failed ${e._tag}`))), Effect.tap((r) => Effect.sync(() => console.log(`node${n} append exp ${exp} -> v${r.version}`))))
        }
        systems.push(yield* makeActorSystem([recordAggregate]).pipe(Effect.provideService(EventStore, store)))
      }
      const actor = { kind: "system", id: "t" } as const
      const id = uuidv7()
      const base = { category: "record", domain: "d", aggregateId: `t:${id}`, actor, correlationId: uuidv7() }
      const r0 = yield* systems[0]!.handle({ ...base, id: uuidv7(), type: "createRecord", payload: { table: "t", id, data: { n: 0 }, creator: actor }, newAggregate: true })
      console.log("created", r0.version)
      let version = 1
      const order = [1, 2, 1, 1, 0, 1, 0, 2, 2, 1]
      for (let i = 0; i < order.length; i++) {
        const n = order[i]!
        const r = yield* Effect.result(systems[n]!.handle({ ...base, id: uuidv7(), type: "updateRecord", payload: { changes: { n: i + 1 } }, expectedVersion: version }))
        console.log(`step ${i + 1} node${n} If-Match ${version}:`, r._tag === "Success" ? `ok v${r.success.version}` : (r.failure as any).message)
        if (r._tag === "Success") version = r.success.version
      }
    }).pipe(Scope.provide(scope)))
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await nats.dispose()
  }
}, 30000)
