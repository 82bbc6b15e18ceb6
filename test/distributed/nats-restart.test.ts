import { cpSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { makeJetStreamEventStore } from "@machhub/adapters"
import { describeWithManagedNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { ADMIN_PASSWORD } from "../support/server.js"
import { spawnServer, waitForLogin, type ServerProcess } from "../support/serverProcess.js"
import { tempDir } from "../support/temp.js"
import { readWholeLog } from "../support/readWholeLog.js"
import { createdRecords, eventually, getStatus, sleep, stopProcess, WriteLoad } from "./writeLoad.js"

/**
 * Fault test: nats-server (the JetStream event store AND the command bus) restarts under write load,
 * with two server processes on MACHHUB_STORE=jetstream, each with its own data dir (so its own read
 * model). Neither process is restarted: both must notice the outage (answer 503 at once, never hang
 * or answer 500; a request cut off in flight answers 504, its outcome unknown) and resume by
 * themselves, and no acknowledged write may be lost or doubled.
 *
 * FAULT_DEBUG=1 prints every request's outcome (ms since the outage began) and both servers' output.
 */

const STREAM = "MH_FAULT_RESTART"
const TABLE = "faults"
/** Far above any legitimate answer (a commit waits at most 5 s for the read model); a request still open then is a hang. */
const REQUEST_TIMEOUT_MS = 15_000
/** How long nats-server stays down at least (FAULT_OUTAGE_MS overrides it, to explore longer outages by hand). */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 1_500)

describeWithManagedNats("nats-server restarts under write load (MACHHUB_STORE=jetstream, two server processes)", () => {
  let nats: NatsTestServer
  const dirs = [tempDir("machhub-nats-restart-a-"), tempDir("machhub-nats-restart-b-")]
  const servers: Array<ServerProcess> = []
  let token: string

  const env = (dataDir: string) => ({
    MACHHUB_STORE: "jetstream",
    NATS_URL: nats.url,
    MACHHUB_JETSTREAM_STREAM: STREAM,
    MACHHUB_DATA_DIR: dataDir,
    MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD
  })

  beforeAll(async () => {
    nats = await startNatsServer()
    servers.push(await spawnServer(env(dirs[0]!.path)))
    token = await waitForLogin(servers[0]!.url, "admin", ADMIN_PASSWORD)
    // The second process must accept the first one's tokens: same signing key (and API-key secret).
    cpSync(join(dirs[0]!.path, "keys"), join(dirs[1]!.path, "keys"), { recursive: true })
    servers.push(await spawnServer(env(dirs[1]!.path)))
    // It catches up from the log (/readyz 503 until then) and then knows the admin made by the first.
    expect(await eventually(async () => (await getStatus(`${servers[1]!.url}/readyz`)).status === 200, 20_000)).toBe(true)
  })

  afterAll(async () => {
    // Always: no server process or nats-server outlives the file, whatever failed above.
    await Promise.all(servers.map((server) => stopProcess(server.child, server.exited)))
    await nats?.dispose()
    for (const dir of dirs) dir.cleanup()
  })

  it("answers 503 during the outage, resumes without a restart, and keeps every acknowledged write exactly once", async () => {
    const load = new WriteLoad({
      targets: servers.map((server) => server.url),
      token,
      table: TABLE,
      writers: 4,
      runId: `nr${Date.now().toString(36)}`,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retryDelayMs: 100,
      // Our processes stay up the whole time: a request without an HTTP answer is a product failure.
      onNetworkError: "retry"
    })
    load.start()
    try {
      // Some load before the fault, so the outage hits requests in flight.
      expect(await eventually(async () => load.acknowledged.size >= 40, 20_000, 20)).toBe(true)
      const sample = [...load.acknowledged.values()][0]!

      const outageStart = Date.now()
      await nats.stop()
      // The writers' requests in flight now were mostly committed already and wait (bounded, 5 s) for
      // this node's read model, which cannot advance until NATS returns; they end as 201. Fresh
      // callers arriving during the outage are what must get 503 at once: one new writer per process.
      load.addWriters(servers.length)
      // Reads of what was already acknowledged come from the local read model: still served.
      const readDuringOutage = await getStatus(`${servers[0]!.url}/machhub/${sample.id}`, token)
      // Down for OUTAGE_MS, and until callers met the outage on both processes (one 503 each; bounded).
      await sleep(OUTAGE_MS)
      await eventually(async () =>
        servers.every((server) =>
          load.outcomes.some((o) => o.target === server.url && o.at > outageStart && o.kind === "status" && o.status === 503)
        ), 8_000, 20)
      const outageEnd = Date.now()
      await nats.restart()
      const restartedAt = Date.now()

      // Service resumes by itself: every writer gets acknowledgements again, on both processes.
      const resumed = await eventually(async () =>
        servers.every((server) => [...load.acknowledged.values()].filter((a) => a.target === server.url && a.at > restartedAt).length >= 10),
        45_000, 50)
      await load.stop()

      const during = load.tally((o) => o.at > outageStart && o.at <= outageEnd)
      const overall = load.tally()
      // Shown on failure (and in the log): what callers saw, and when.
      console.info("nats-restart outcomes", { during, overall, slowestMs: load.slowest(), acknowledged: load.acknowledged.size, inDoubt: [...load.inDoubt.keys()] })
      if (process.env.FAULT_DEBUG) {
        console.info({ outageStart, outageEnd, restartedAt })
        console.info(load.outcomes.map((o) => `${o.at - outageStart} ${o.target.slice(-5)} ${o.key} ${o.kind === "status" ? o.status : o.kind}`).join("\n"))
        for (const server of servers) console.info(server.output())
      }

      expect(readDuringOutage.status).toBe(200)
      // The outage was seen as 503 Service Unavailable ...
      expect(during["503"] ?? 0).toBeGreaterThan(0)
      // ... and never as a 500, a hang (request deadline passed) or a dropped connection: only 201, 503,
      // or 504 for a request in flight when the connection went (retried with its key like a 503).
      const unexpected = load.outcomes.filter((o) => !(o.kind === "status" && (o.status === 201 || o.status === 503 || o.status === 504)))
      expect(unexpected.slice(0, 5), `${unexpected.length} answers other than 201/503/504`).toEqual([])
      expect(resumed).toBe(true)
      // Every writer's last key was retried until acknowledged.
      expect([...load.inDoubt.keys()]).toEqual([])
      const retried503 = load.outcomes.filter((o) => o.kind === "status" && o.status === 503)
      expect(retried503.every((o) => load.acknowledged.has(o.key))).toBe(true)

      // Both processes report ready and answer reads of records written after the restart.
      for (const server of servers) expect((await getStatus(`${server.url}/readyz`)).status).toBe(200)

      // Each read model caught up (over its JetStream subscription, resumed after the restart): every
      // acknowledged record is readable on BOTH processes, including those the other one wrote.
      const acknowledged = [...load.acknowledged.values()]
      for (const server of servers) {
        const missing = async () => {
          const absent: Array<string> = []
          for (const ack of acknowledged) {
            const read = await getStatus(`${server.url}/machhub/${ack.id}`, token)
            if (read.status !== 200 || (JSON.parse(read.body) as { marker: string }).marker !== ack.marker) absent.push(`${ack.key}:${read.status}`)
          }
          return absent
        }
        let absent = await missing()
        for (let i = 0; absent.length > 0 && i < 20; i++) {
          await sleep(500)
          absent = await missing()
        }
        expect(absent, `acknowledged records not readable on ${server.url}`).toEqual([])
        const count = await getStatus(`${server.url}/machhub/${TABLE}/count`, token)
        expect(JSON.parse(count.body)).toEqual({ count: acknowledged.length })
      }

      // The log itself, replayed from the start through the JetStream adapter: every acknowledged
      // write exactly once, and no record created twice (nothing else of this table either).
      const events = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const store = yield* makeJetStreamEventStore({ servers: nats.url, streamName: STREAM })
        return yield* readWholeLog((from, limit) => store.readAll(from, limit))
      })))
      const { byMarker, byId } = createdRecords(events, TABLE)
      const notOnce = acknowledged.filter((ack) => byMarker.get(ack.marker) !== 1).map((ack) => `${ack.marker}×${byMarker.get(ack.marker) ?? 0}`)
      expect(notOnce).toEqual([])
      expect([...byId.values()].every((count) => count === 1)).toBe(true)
      expect([...byMarker.keys()].sort()).toEqual(acknowledged.map((ack) => ack.marker).sort())
      // Positions are strictly increasing: the log has no duplicated or reordered entry.
      expect(events.every((event, i) => i === 0 || event.position > events[i - 1]!.position)).toBe(true)
    } finally {
      await load.stop()
    }
  }, 90_000)
})
