import { it, expect } from "vitest"
import { Effect, Exit, Scope } from "effect"
import { makeJetStreamEventStore } from "@machhub/adapters"
import { startNatsServer } from "../support/nats-server.js"

it("readStream after another store appended", async () => {
  const nats = await startNatsServer()
  const scope = Effect.runSync(Scope.make())
  try {
    await Effect.runPromise(Effect.gen(function*() {
      const s1 = yield* makeJetStreamEventStore({ servers: nats.url, streamName: "X" })
      const s2 = yield* makeJetStreamEventStore({ servers: nats.url, streamName: "X" })
      const ev = (n: number) => [{ id: `0190f3c2-bbbb-7ccc-8ddd-00000000000${n}`, type: "T", data: { n }, meta: { domain: "d", actor: { kind: "system", id: "s" }, correlationId: "c", causationId: "c", commandId: "c", at: new Date().toISOString() } }] as any
      yield* s1.append("record-d-a", 0, ev(1))
      const r0 = yield* s2.readStream("record-d-a", 1)
      console.log("s2 sees", r0.length)
      yield* s1.append("record-d-a", 1, ev(2))
      yield* s2.append("record-d-a", 2, ev(3))
      yield* s1.append("record-d-a", 3, ev(4))
      for (const s of [s1, s2]) {
        const r = yield* s.readStream("record-d-a", 1)
        console.log("full read", r.map((e) => e.version))
        const r2 = yield* s.readStream("record-d-a", 2)
        console.log("from 2", r2.map((e) => e.version))
      }
    }).pipe(Scope.provide(scope)))
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await nats.dispose()
  }
}, 30000)
