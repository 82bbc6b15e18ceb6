import { randomUUID } from "node:crypto"
import { Deferred, Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { connectNats, makeJetStreamEventStore, serveCommands } from "@machhub/adapters"
import {
  coreAggregates,
  EventStore,
  makeActorSystem,
  uuidv7,
  type ActorSystemService,
  type Command,
  type CommandHandler,
  type RecordedEvent
} from "@machhub/core"
import { describeWithManagedNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { readWholeLog } from "../support/readWholeLog.js"
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"
import { loginAs } from "../support/api.js"
import { createdRecords, eventually, sleep } from "./writeLoad.js"

/**
 * Which answers after a NATS loss are honest. 503 must mean "not applied": every request answered 503
 * around an outage is absent from the log. A request whose command was sent and then lost its answer
 * is 504, saying it may have been applied; retried with the same Idempotency-Key it is answered with
 * the first outcome, from the log, whichever process's actor system takes the retry.
 */


const wholeLog = (url: string, streamName: string): Promise<ReadonlyArray<RecordedEvent>> =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const store = yield* makeJetStreamEventStore({ servers: url, streamName })
    return yield* readWholeLog((from, limit) => store.readAll(from, limit))
  })))

interface Answer {
  readonly status: number
  readonly body: string
  readonly replayed: string | null
}

const postRecord = async (url: string, token: string, table: string, key: string, marker: string): Promise<Answer> => {
  try {
    const response = await fetch(`${url}/machhub/${table}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ marker }),
      signal: AbortSignal.timeout(20_000)
    })
    return { status: response.status, body: await response.text(), replayed: response.headers.get("idempotent-replayed") }
  } catch (error) {
    return { status: 0, body: String(error), replayed: null }
  }
}

describeWithManagedNats("an answer lost with the NATS connection (edge and actor host apart)", () => {
  const STREAM = "MH_AMBIGUOUS_HELD"
  const HELD = `held-${randomUUID()}`
  let nats: NatsTestServer
  let hostScope: Scope.Closeable
  let actors: ReadonlyArray<ActorSystemService>
  let edge: TestServer
  const dir = tempDir("machhub-ambiguous-edge-")
  /** Set once the held command is committed; its reply is withheld until `release`. */
  let committed: Deferred.Deferred<void>
  let release: Deferred.Deferred<void>
  let holding = true

  beforeAll(async () => {
    nats = await startNatsServer()
    committed = Effect.runSync(Deferred.make<void>())
    release = Effect.runSync(Deferred.make<void>())
    // The actor host: the product's actor system and command server, except that the reply to one
    // marked record creation waits, after its commit, until the test lets it go.
    hostScope = Effect.runSync(Scope.make())
    actors = await Effect.runPromise(Effect.gen(function*() {
      const systems: Array<ActorSystemService> = []
      for (let n = 0; n < 2; n++) {
        const store = yield* makeJetStreamEventStore({ servers: nats.url, streamName: STREAM })
        systems.push(yield* makeActorSystem(coreAggregates).pipe(Effect.provideService(EventStore, store)))
      }
      const client = yield* connectNats({ servers: nats.url, name: "test-actor-host" })
      const host = systems[0]!
      const handler: CommandHandler = (command) => {
        const payload = command.payload as { data?: { marker?: unknown } } | null
        if (!(holding && command.type === "createRecord" && payload?.data?.marker === HELD)) return host.handle(command)
        holding = false
        return host.handle(command).pipe(
          Effect.tap(() => Deferred.succeed(committed, undefined)),
          Effect.tap(() => Deferred.await(release))
        )
      }
      yield* serveCommands(client, handler, { drainTimeout: 100 })
      return systems
    }).pipe(Scope.provide(hostScope)))
    // The edge alone: it reaches the actor host only through NATS.
    edge = await startTestServer({ dataDir: dir.path, natsUrl: nats.url, store: "jetstream", jetstreamStream: STREAM, roles: new Set(["edge"]) })
  })

  afterAll(async () => {
    if (release !== undefined) Effect.runSync(Deferred.succeed(release, undefined))
    await edge?.stop()
    if (hostScope !== undefined) await Effect.runPromise(Scope.close(hostScope, Exit.void))
    await nats?.dispose()
    dir.cleanup()
  })

  it("answers 504 saying the change may have been applied, and the retry with the key gets the first outcome", async () => {
    const token = await loginAs(edge.url, "admin", ADMIN_PASSWORD)
    const key = `held-key-${randomUUID()}`
    const pending = postRecord(edge.url, token, "ambiguous", key, HELD)
    await Effect.runPromise(Deferred.await(committed))
    // Committed, its reply not yet sent: the connection goes now.
    await nats.stop()
    const answer = await pending
    expect(answer.status).toBe(504)
    expect(answer.body).toMatch(/may have been applied/)
    expect(answer.body).toMatch(/Idempotency-Key/)

    await nats.restart()
    Effect.runSync(Deferred.succeed(release, undefined))
    // Retried with the same key until NATS is back for both sides: the first outcome, not a second record.
    let retry: Answer | undefined
    expect(await eventually(async () => {
      retry = await postRecord(edge.url, token, "ambiguous", key, HELD)
      return retry.status === 201
    }, 30_000, 100)).toBe(true)
    expect(retry!.replayed).toBe("true")

    const events = await wholeLog(nats.url, STREAM)
    const { byMarker } = createdRecords(events, "ambiguous")
    expect(byMarker.get(HELD)).toBe(1)
    const created = events.find((event) => event.type === "RecordCreated" && (event.data as { data: { marker: string } }).data.marker === HELD)!
    expect(JSON.parse(retry!.body).id).toBe(`machhub_admin.ambiguous:${(created.data as { id: string }).id}`)
  }, 60_000)

  it("answers a keyed retry with the first outcome whichever process's actor system takes it, even one with a stale cache", async () => {
    const [a, b] = [actors[0]!, actors[1]!]
    const actor = { kind: "user", id: "retrier" } as const
    const run = (system: ActorSystemService, command: Command) => Effect.runPromise(system.handle(command))
    const command = (type: string, aggregateId: string, payload: unknown, idempotencyKey?: string): Command => ({
      id: uuidv7(),
      type,
      category: "record",
      domain: "acme",
      aggregateId,
      actor,
      payload,
      correlationId: uuidv7(),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey })
    })
    const id = uuidv7()
    const aggregateId = `parts:${id}`
    await run(b, command("createRecord", aggregateId, { table: "parts", id, data: { n: 0 }, creator: actor }))
    // b now caches version 1; a appends a keyed update (version 2); the retry reaches b.
    const key = `cross-${randomUUID()}`
    const first = await run(a, command("updateRecord", aggregateId, { changes: { n: 1 } }, key))
    const retry = await run(b, command("updateRecord", aggregateId, { changes: { n: 1 } }, key))
    expect(first.version).toBe(2)
    expect({ ...retry, replayed: undefined }).toEqual({ ...first, replayed: undefined })
    expect(retry.replayed).toBe(true)
    // Another caller's same key is its own request.
    const other = await run(b, { ...command("updateRecord", aggregateId, { changes: { n: 2 } }, key), actor: { kind: "user", id: "someone-else" } })
    expect(other.version).toBe(3)
    expect(other.replayed).toBeUndefined()
    const log = await wholeLog(nats.url, STREAM)
    expect(log.filter((event) => event.meta.idempotencyKey === key)).toHaveLength(2)
  }, 30_000)
})

describeWithManagedNats("answers around a NATS outage (MACHHUB_STORE=jetstream, one process)", () => {
  const STREAM = "MH_AMBIGUOUS_LOAD"
  const TABLE = "outage"
  let nats: NatsTestServer
  let server: TestServer
  const dir = tempDir("machhub-ambiguous-load-")

  beforeAll(async () => {
    nats = await startNatsServer()
    server = await startTestServer({ dataDir: dir.path, natsUrl: nats.url, store: "jetstream", jetstreamStream: STREAM })
  })
  afterAll(async () => {
    await server?.stop()
    await nats?.dispose()
    dir.cleanup()
  })

  it("never answers 503 for a change that was applied; 504s say it may have been", async () => {
    const token = await loginAs(server.url, "admin", ADMIN_PASSWORD)
    const outcomes: Array<Answer & { readonly marker: string; readonly at: number }> = []
    let stopping = false
    // Each request a new record with its own marker and key, never retried: its answer alone must be true.
    const writer = async (w: number) => {
      for (let n = 0; !stopping; n++) {
        const marker = `w${w}-${n}-${randomUUID().slice(0, 8)}`
        const answer = await postRecord(server.url, token, TABLE, `key-${marker}`, marker)
        outcomes.push({ ...answer, marker, at: Date.now() })
        if (answer.status !== 201) await sleep(50)
      }
    }
    const writers = Array.from({ length: 16 }, (_, w) => writer(w))
    const count = (status: number, after = 0) => outcomes.filter((o) => o.status === status && o.at > after).length
    try {
      expect(await eventually(async () => count(201) >= 40, 20_000, 20)).toBe(true)
      const outageAt = Date.now()
      await nats.stop({ abrupt: true })
      await sleep(1_500)
      expect(await eventually(async () => count(503, outageAt) >= 3, 10_000, 20)).toBe(true)
      await nats.restart()
      const restartedAt = Date.now()
      expect(await eventually(async () => count(201, restartedAt) >= 40, 45_000, 50)).toBe(true)
    } finally {
      stopping = true
      await Promise.all(writers)
    }

    const unexpected = outcomes.filter((o) => ![201, 503, 504].includes(o.status))
    expect(unexpected.slice(0, 5), `${unexpected.length} answers other than 201/503/504`).toEqual([])
    const { byMarker } = createdRecords(await wholeLog(nats.url, STREAM), TABLE)
    const answered = (status: number) => outcomes.filter((o) => o.status === status)
    console.info("answers around the outage", { 201: answered(201).length, 503: answered(503).length, 504: answered(504).length })
    // 503: surely not applied.
    expect(answered(503).filter((o) => byMarker.has(o.marker)).map((o) => o.marker)).toEqual([])
    // 201: applied exactly once.
    expect(answered(201).filter((o) => byMarker.get(o.marker) !== 1).map((o) => o.marker)).toEqual([])
    // 504: may or may not have been, and says so.
    for (const o of answered(504)) expect(o.body).toMatch(/may have been applied.*Idempotency-Key/)
    // Nothing in the log that no request asked for.
    const asked = new Set(outcomes.map((o) => o.marker))
    expect([...byMarker.keys()].filter((marker) => !asked.has(marker))).toEqual([])
  }, 90_000)
})
