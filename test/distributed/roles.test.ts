import { ConfigError, loadConfig, parseRoles } from "@machhub/server"
import { connect } from "@nats-io/transport-node"
import { decode as decodeMsgpack } from "msgpackr"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, type Api } from "../support/api.js"
import { describeWithManagedNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"
import { ADMIN_PASSWORD } from "../support/server.js"
import { type ServerProcess, spawnServer, waitForLogin } from "../support/serverProcess.js"
import { tempDir } from "../support/temp.js"

describe("MACHHUB_ROLES configuration", () => {
  const jetstream = { MACHHUB_STORE: "jetstream", NATS_URL: "nats://127.0.0.1:4222" }

  it("runs every role by default and accepts any mix", () => {
    expect([...loadConfig({}).roles].sort()).toEqual(["actors", "edge", "projections"])
    expect([...loadConfig({ ...jetstream, MACHHUB_ROLES: "edge" }).roles]).toEqual(["edge"])
    expect([...loadConfig({ ...jetstream, MACHHUB_ROLES: " actors , projections " }).roles].sort()).toEqual(["actors", "projections"])
  })

  it("refuses unknown or missing roles, and split roles on the single-process SQLite log, saying what to do", () => {
    expect(parseRoles("edge,cook")).toMatch(/unknown role "cook"; the roles are edge, actors, projections/)
    expect(() => loadConfig({ ...jetstream, MACHHUB_ROLES: "," })).toThrow(/at least one of edge, actors, projections/)
    expect(() => loadConfig({ MACHHUB_ROLES: "edge" })).toThrow(ConfigError)
    expect(() => loadConfig({ MACHHUB_ROLES: "edge" })).toThrow(/set MACHHUB_STORE=jetstream \(or kurrentdb\) and NATS_URL/)
    // A shared log alone is not enough: an edge reaches actor hosts through NATS.
    expect(() => loadConfig({ MACHHUB_STORE: "kurrentdb", KURRENTDB_URL: "kurrentdb://h:2113", MACHHUB_ROLES: "edge" })).toThrow(ConfigError)
    expect(() => loadConfig({ MACHHUB_STORE: "kurrentdb" })).toThrow(/MACHHUB_STORE=kurrentdb needs KURRENTDB_URL/)
    expect(loadConfig({ MACHHUB_STORE: "kurrentdb", KURRENTDB_URL: "kurrentdb://h:2113?tls=false" }).kurrentDbUrl).toBe("kurrentdb://h:2113?tls=false")
  })
})

/** Polls `probe` until it returns true, for at most `ms`. */
const eventually = async (probe: () => Promise<boolean>, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`condition not met within ${ms} ms`)
}

const status = async (url: string, init?: RequestInit) => (await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })).status

describeWithManagedNats("processes with some of the roles, on one NATS", () => {
  let nats: NatsTestServer
  const processes: Array<ServerProcess> = []
  const dirs: Array<{ cleanup: () => void }> = []
  let env: Record<string, string>

  const start = async (roles: string): Promise<ServerProcess> => {
    const dir = tempDir()
    dirs.push(dir)
    const process = await spawnServer({ ...env, MACHHUB_ROLES: roles, MACHHUB_DATA_DIR: dir.path })
    processes.push(process)
    return process
  }
  const stop = async (process: ServerProcess) => {
    process.child.kill("SIGTERM")
    await process.exited
  }

  let edge: ServerProcess
  let actors: ServerProcess
  let admin: Api

  beforeAll(async () => {
    nats = await startNatsServer()
    env = { MACHHUB_STORE: "jetstream", NATS_URL: nats.url, MACHHUB_JETSTREAM_STREAM: "ROLES_TEST", MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD }
  })
  afterAll(async () => {
    for (const process of processes) process.child.kill("SIGKILL")
    await Promise.all(processes.map((p) => p.exited))
    for (const dir of dirs) dir.cleanup()
    await nats?.dispose()
  })

  it("an edge alone serves from its read models; its commands wait for an actor host, which then takes them", async () => {
    edge = await start("edge")
    // No actor host yet, so no bootstrap admin: the edge is not ready, since no login could succeed.
    await eventually(async () => edge.output().includes("waiting for an actor host to create the bootstrap admin"))
    expect(await status(`${edge.url}/readyz`)).toBe(503)
    // A login is refused at once, not left hanging (and not counted as a failure).
    expect(await status(`${edge.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD })
    })).toBe(503)

    actors = await start("actors")
    // An actor host has no API, only health: ready while it can receive commands.
    const ready = await fetch(`${actors.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: "ready" })
    expect(await status(`${actors.url}/api/me`)).toBe(404)

    // The edge retried creating the bootstrap admin once an actor host appeared.
    // (Waiting on the log rather than on logins: failed logins would count towards the login throttle.)
    await eventually(async () => edge.output().includes("created the bootstrap user admin"))
    await eventually(async () => (await status(`${edge.url}/readyz`)) === 200)
    admin = api(edge.url, await waitForLogin(edge.url, "admin", ADMIN_PASSWORD))
    expect((await admin.json("POST", "/api/domains", { name: "plant" })).status).toBe(201)
    const created = await admin.inDomain("plant").json("POST", "/machhub/parts", { name: "gear" })
    expect(created.status).toBe(201)
    expect(created.body.record).toMatchObject({ name: "gear", _meta: { version: 1 } })
  }, 60_000)

  it("only a process with the projections role publishes events on NATS, so each arrives once", async () => {
    const subscriber = await connect({ servers: nats.url })
    const seen: Array<{ type: string; correlationId: string | undefined }> = []
    subscriber.subscribe("mh.evt.>", {
      callback: (_error, msg) => {
        const body = decodeMsgpack(msg.data) as { type: string; meta?: { correlationId?: string } }
        seen.push({ type: body.type, correlationId: body.meta?.correlationId })
      }
    })
    await subscriber.flush()
    try {
      await start("projections")
      const correlationId = "0190f3c2-bbbb-7ccc-8ddd-00000000a11e"
      const created = await admin.inDomain("plant").json("POST", "/machhub/parts", { name: "shaft" }, { "App-CorrelationID": correlationId })
      expect(created.status).toBe(201)
      const ours = () => seen.filter((e) => e.correlationId === correlationId)
      await eventually(async () => ours().length > 0)
      // Give any second publisher time to show itself.
      await new Promise((r) => setTimeout(r, 500))
      expect(ours().map((e) => e.type)).toEqual(["RecordCreated"])
    } finally {
      await subscriber.close()
    }
  }, 60_000)

  it("without an actor host the edge still reads and refuses writes with 503; a new actor host resumes writes", async () => {
    const parts = admin.inDomain("plant")
    const created = await parts.json("POST", "/machhub/parts", { name: "bearing" })
    expect(created.status).toBe(201)
    await stop(actors)
    const refused = await parts.json("POST", "/machhub/parts", { name: "washer" })
    expect(refused.status).toBe(503)
    expect((await parts.json("GET", `/machhub/${created.body.id}`)).status).toBe(200)

    await start("actors")
    let resumed = 0
    await eventually(async () => (resumed = (await parts.json("POST", "/machhub/parts", { name: "washer" })).status) === 201)
    expect(resumed).toBe(201)
  }, 60_000)
})
