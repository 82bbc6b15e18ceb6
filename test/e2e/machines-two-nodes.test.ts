import { cpSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { adminApi, api, loginAs, seedDomainUser, type Api } from "../support/api.js"
import { connect, createMachine, machineBody } from "../support/machines.js"
import { describeWithNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { startSshTarget, type SshTarget } from "../support/ssh-target.mjs"
import { openTerminal, type TerminalClient } from "../support/terminalClient.js"
import { tempDir } from "../support/temp.js"

const READ_WRITE = [{ feature: "machines", action: "read-write", scope: "self" }]

const eventually = async <T>(what: string, attempt: () => Promise<T | undefined>, timeoutMillis = 10_000): Promise<T> => {
  for (const deadline = Date.now() + timeoutMillis; ; ) {
    const value = await attempt()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMillis} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * Two server processes' worth of edge, actors and read models (here in one test process, from the
 * sources) on one JetStream log and NATS bus: what one node does to a machine or a key reaches the
 * terminals and the log of the other.
 */
describeWithNats("SSH machines and API key use across two nodes", () => {
  let nats: NatsTestServer
  let a: TestServer
  let b: TestServer
  let target: SshTarget
  const bDir = tempDir()
  beforeAll(async () => {
    nats = await startNatsServer()
    target = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    const shared = { natsUrl: nats.url, store: "jetstream" as const, jetstreamStream: `MACHINES_TWO_NODES_${process.pid}` }
    a = await startTestServer(shared)
    // The second node verifies the first one's tokens and keys: it needs the same keys/.
    cpSync(join(a.dataDir, "keys"), join(bDir.path, "keys"), { recursive: true })
    b = await startTestServer({ ...shared, dataDir: bDir.path })
  }, 60_000)
  afterAll(async () => {
    await b?.dispose()
    bDir.cleanup()
    await a?.dispose()
    await target?.close()
    await nats?.dispose()
  })

  it("a delete answered by one node closes the terminal bridged by the other", async () => {
    const admin = await adminApi(a.url)
    const { password } = await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })
    // alice as seen by each node (B catches up with the log on its own).
    const onB = api(b.url, await eventually("alice logs in on B", () => loginAs(b.url, "alice", password).catch(() => undefined)), "ops")
    const onA = api(a.url, onB.token, "ops")
    const id = await createMachine(onB, machineBody(target.port))
    const terminal = await openTerminal(b.url, await connect(onB, id), { authorization: `Bearer ${onB.token}` })
    if (terminal.refused) throw new Error(`refused: ${terminal.status} ${JSON.stringify(terminal.body)}`)
    await (terminal as TerminalClient).waitFor("$ ")
    const ticket = await connect(onB, id)

    // A must know the machine before it can delete it.
    await eventually("the machine reaches A", async () => ((await onA.json("GET", `/api/v1/machine/${id}`)).status === 200 ? true : undefined))
    expect((await onA.json("DELETE", `/api/v1/machine/${id}`)).status).toBe(200)

    expect(await (terminal as TerminalClient).closed).toEqual({ code: 4001, reason: "the machine was deleted" })
    expect(await openTerminal(b.url, ticket, { authorization: `Bearer ${onB.token}` })).toMatchObject({ refused: true, status: 404 })
    await eventually("no SSH connection left", async () => (target.active() === 0 ? true : undefined))
  })

  it("a key used on both nodes within a minute is recorded once", async () => {
    const admin: Api = await adminApi(a.url)
    const key = await admin.json("POST", "/api/api-key/generate", { name: "both", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(key.status).toBe(200)
    await eventually("the key works on B", async () => ((await api(b.url, key.body.token, undefined, "x-api-key").json("GET", "/api/me")).status === 200 ? true : undefined))
    expect((await api(a.url, key.body.token, undefined, "x-api-key").json("GET", "/api/me")).status).toBe(200)
    const stream = `apikeyuse-machhub_admin-${key.body.id}`
    const uses = async () => (await Effect.runPromise(a.store.readStream(stream))).filter((event) => event.type === "KeyUsed")
    // Each node sends its sample; the key's use aggregate keeps one per minute.
    const recorded = await eventually("a use recorded", async () => ((await uses()).length > 0 ? await uses() : undefined))
    for (const node of [a, b]) {
      const shown = await eventually(`lastUsedAt on ${node.url}`, async () => {
        const row = (await api(node.url, admin.token).json("GET", `/api/api-key/${key.body.id}`)).body
        return row.lastUsedAt === null ? undefined : row
      })
      expect(shown.lastUsedAt).toBe((recorded[0]!.data as { at: string }).at)
    }
    // The other node's sample may still be on its way: give it time to be decided (as nothing new).
    await new Promise((r) => setTimeout(r, 500))
    expect(await uses()).toHaveLength(1)
  })
})
