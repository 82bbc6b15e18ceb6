import { randomUUID } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { adminApi, api, loginAs, seedDomainUser, type Api } from "../support/api.js"
import { createMachine, encryptedKeyPair, machineBody, MASTER_PASSWORD } from "../support/machines.js"
import { ADMIN_PASSWORD, postJson, startTestServer, type TestServer } from "../support/server.js"

const WRITER = [{ feature: "collections", action: "read-write", scope: "self" }, { feature: "machines", action: "read-write", scope: "self" }]

describe("every auth decision is in the log, and no secret is", () => {
  let server: TestServer
  let admin: Api
  let alice: { api: Api; userId: string; password: string }
  let bob: { api: Api; userId: string; password: string }
  const events = async (): Promise<Array<RecordedEvent>> => [...(await Effect.runPromise(server.store.readAll(1, 1_000_000)))]

  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    alice = await seedDomainUser(admin, { domain: "acme", username: "alice", group: "writers", permissions: WRITER })
    bob = await seedDomainUser(admin, { domain: "acme", username: "bob", group: "writers" })
  })
  afterAll(() => server.dispose())

  it("records logins, failed and successful, with address and correlation id", async () => {
    const correlationId = randomUUID()
    expect((await postJson(`${server.url}/auth/login`, { username: "alice", password: "not-her-password" }, { "App-CorrelationID": correlationId })).status).toBe(401)
    expect((await postJson(`${server.url}/auth/login`, { username: "nobody-here", password: "whatever-password" })).status).toBe(401)
    const ok = randomUUID()
    expect((await postJson(`${server.url}/auth/login`, { username: "alice", password: alice.password }, { "App-CorrelationID": ok })).status).toBe(200)
    const log = await events()
    expect(log.find((e) => e.meta.correlationId === correlationId)).toMatchObject({
      type: "LoginFailed",
      data: { userId: alice.userId, username: "alice", reason: "bad_password", address: "127.0.0.1" },
      meta: { actor: { kind: "user", id: alice.userId } }
    })
    expect(log.find((e) => e.type === "LoginFailed" && (e.data as { username: string }).username === "nobody-here")).toMatchObject({
      data: { userId: null, reason: "unknown_user", address: "127.0.0.1" },
      meta: { actor: { kind: "anonymous" } }
    })
    expect(log.find((e) => e.meta.correlationId === ok)).toMatchObject({ type: "LoginSucceeded", data: { userId: alice.userId, address: "127.0.0.1" } })
  })

  it("records a command refused by a rule once, with actor, address and correlation id (CommandRefused)", async () => {
    const created = await alice.api.json("POST", "/machhub/products", { name: "alice's" })
    expect(created.status).toBe(201)
    // Bob (collections at scope self) may not change Alice's record: the record's decider refuses it,
    // answering "not found" so that existence does not leak. It is still an authorization decision.
    const correlationId = randomUUID()
    const refused = await bob.api.json("PUT", `/machhub/${created.body.id}`, { name: "bob's now" }, { "App-CorrelationID": correlationId })
    expect(refused.status).toBe(404)
    const conflict = randomUUID()
    expect((await admin.inDomain("acme").json("POST", "/api/users", { username: "alice", password: "another-password-1" }, { "App-CorrelationID": conflict })).status).toBe(409)

    const log = await events()
    const recorded = log.filter((e) => e.type === "CommandRefused" && e.meta.correlationId === correlationId)
    expect(recorded).toHaveLength(1)
    const stream = `record-acme-products:${String(created.body.id).split(":")[1]}`
    expect(recorded[0]).toMatchObject({
      stream: expect.stringMatching(/^refusal-acme-/),
      data: { commandType: "updateRecord", target: stream, reason: "not_found", address: "127.0.0.1", unrecorded: 0 },
      meta: { domain: "acme", actor: { kind: "user", id: bob.userId }, correlationId }
    })
    expect(recorded[0]!.data).toMatchObject({ commandId: recorded[0]!.meta.commandId })
    expect(log.find((e) => e.type === "CommandRefused" && e.meta.correlationId === conflict)).toMatchObject({ data: { reason: "conflict" } })
    // The auditor's view has them too, filterable by type.
    const audited = await admin.json("GET", `/api/audit/events?type=CommandRefused&actor=${bob.userId}`)
    expect(audited.body.events.map((e: RecordedEvent) => e.meta.correlationId)).toContain(correlationId)
    // Nothing was changed by the refused command.
    expect((await alice.api.json("GET", `/machhub/${created.body.id}`)).body.name).toBe("alice's")
  })

  it("records session and key decisions", async () => {
    const basic = Buffer.from(`bob:${bob.password}`).toString("base64")
    const opened = await fetch(`${server.url}/sessions/`, { method: "POST", headers: { authorization: `Basic ${basic}`, domain: "domains:acme" } })
    expect(opened.status).toBe(201)
    const session = (await opened.json()) as { session_id: string }
    expect((await bob.api.json("DELETE", `/sessions/${session.session_id}`)).status).toBe(200)
    const key = await admin.inDomain("acme").json("POST", "/api/api-key/generate", { name: "k", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect((await admin.inDomain("acme").json("POST", `/api/api-key/${key.body.id}/suspend`, { reason: "test" })).status).toBe(200)
    expect((await admin.inDomain("acme").json("DELETE", `/api/api-key/${key.body.id}`)).status).toBe(200)
    const types = (await events()).map((e) => e.type)
    for (const type of ["SessionOpened", "SessionRevoked", "KeyIssued", "KeySuspended", "KeyRevoked"]) expect(types, type).toContain(type)
  })

  it("never puts a secret in the log: passwords, attempted passwords, key secrets, master passwords, SSH credentials", async () => {
    const secrets: Array<string> = [ADMIN_PASSWORD, alice.password, bob.password, "not-her-password", "another-password-1"]
    // A password change, a wrong guess, an API key, machines with a password and with an encrypted key.
    const changed = "alice-changed-password-9"
    expect((await alice.api.json("POST", `/api/users/${alice.userId}/password`, { password: changed })).status).toBe(200)
    secrets.push(changed, "a-wrong-guess-123")
    await postJson(`${server.url}/auth/login`, { username: "alice", password: "a-wrong-guess-123" })
    const fresh = api(server.url, await loginAs(server.url, "alice", changed), "acme")
    const key = await admin.inDomain("acme").json("POST", "/api/api-key/generate", { name: "exporter", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(key.status).toBe(200)
    secrets.push(key.body.token, String(key.body.token).slice("mchx_".length))
    const sshPassword = "ssh-secret-password-77"
    await createMachine(fresh, machineBody(22, { password: sshPassword }))
    const passphrase = "key-passphrase-42"
    const pair = await encryptedKeyPair(passphrase)
    await createMachine(fresh, machineBody(22, { password: undefined, private_key: pair.private, passphrase }))
    // A wrong master password is refused, and must not be recorded either.
    const wrongMaster = "not the master password"
    const refused = await fresh.json("POST", "/api/v1/machine/1/connect", { password: wrongMaster })
    expect(refused.status).toBe(401)
    secrets.push(sshPassword, passphrase, MASTER_PASSWORD, wrongMaster)
    const privateKeyBody = pair.private.split("\n").filter((line) => line.length > 40)[0]!

    // 1. The log as an auditor exports it.
    const exported = await (await admin.request("GET", "/api/audit/events/export")).text()
    // 2. The log as the store holds it (every byte of the SQLite files, WAL included).
    const files = readdirSync(server.dataDir).filter((name) => name.startsWith("events.db"))
    expect(files.length).toBeGreaterThan(0)
    const raw = files.map((name) => readFileSync(join(server.dataDir, name)).toString("latin1")).join("\n")
    expect(exported.length).toBeGreaterThan(1000)
    for (const secret of [...secrets, privateKeyBody]) {
      expect(exported.includes(secret), `export contains ${secret.slice(0, 12)}…`).toBe(false)
      expect(raw.includes(secret), `events.db contains ${secret.slice(0, 12)}…`).toBe(false)
    }
    // The machine's credentials are there, but only sealed.
    expect(exported).toMatch(/"password":"gcm1\./)
  })
})
