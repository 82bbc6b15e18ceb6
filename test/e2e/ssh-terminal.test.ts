import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { replayTerminal } from "@machhub/core"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { connect, createMachine, encryptedKeyPair, MASTER_PASSWORD, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { startSshTarget, type SshTarget } from "../support/ssh-target.mjs"
import { openAtPrompt, openTerminal, type Refused, type TerminalClient } from "../support/terminalClient.js"

const READ_WRITE = [{ feature: "machines", action: "read-write", scope: "self" }]
const bearer = (api: Api) => ({ authorization: `Bearer ${api.token}` })

const opened = (client: TerminalClient | Refused): TerminalClient => {
  if (client.refused) throw new Error(`refused: ${client.status} ${JSON.stringify(client.body)}`)
  return client
}

const until = async (condition: () => boolean, timeoutMillis = 5_000) => {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > timeoutMillis) throw new Error("condition never became true")
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe("SSH terminal over WebSocket (/ssh)", () => {
  let server: TestServer
  let target: SshTarget
  let alice: Api
  let bob: Api
  let machine: number
  beforeAll(async () => {
    target = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    server = await startTestServer()
    const admin = await adminApi(server.url)
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })).api
    bob = (await seedDomainUser(admin, { domain: "ops", username: "bob", group: "operators" })).api
    machine = await createMachine(alice, machineBody(target.port))
  })
  afterAll(async () => {
    await server.dispose()
    await target.close()
  })

  it("connects (a ticket) and round-trips keystrokes through the PTY", async () => {
    const connected = await alice.json("POST", `/api/v1/machine/${machine}/connect`, { password: MASTER_PASSWORD })
    expect(connected.status).toBe(200)
    expect(connected.body).toMatchObject({ status: "OK", message: "Connected to machine successfully" })
    expect(connected.body.data).toMatch(/^[0-9a-f-]{36}$/)
    const tickets = [connected.body.data as string]
    const { terminal } = await openAtPrompt((ticket) => openTerminal(server.url, ticket, bearer(alice)), async () => tickets.shift() ?? connect(alice, machine))
    terminal.type("echo hello")
    await terminal.waitFor("echo hello")
    terminal.ws.close()
    await terminal.closed
    // The SSH connection is let go when the socket closes.
    await until(() => target.active() === 0)
  })

  it("sizes the PTY from the query and follows resize messages (stty size)", async () => {
    const { terminal } = await openAtPrompt((ticket) => openTerminal(server.url, ticket, bearer(alice), "&cols=100&rows=30"), () => connect(alice, machine))
    terminal.type("stty size\r")
    await terminal.waitFor("30 100\r\n")
    const mark = terminal.output().length
    terminal.resize(132, 50)
    terminal.type("stty size\r")
    await terminal.waitFor("50 132\r\n", { from: mark })
    terminal.heartbeat()
    terminal.ws.send("not json")
    terminal.ws.send(JSON.stringify({ type: "resize", cols: 0, rows: 5 }))
    await until(() => terminal.controls().length >= 3)
    expect(terminal.controls()[0]).toEqual({ type: "heartbeat" })
    expect(terminal.controls()[1]).toMatchObject({ type: "error", message: expect.stringMatching(/binary frames/) })
    expect(terminal.controls()[2]).toMatchObject({ type: "error", message: expect.stringMatching(/cols and rows/) })
    terminal.ws.close()
    await terminal.closed
  })

  it("accepts the cookie jwt on the socket, and uses each ticket once", async () => {
    const { ticket, terminal } = await openAtPrompt((issued) => openTerminal(server.url, issued, { cookie: `jwt=${alice.token}` }), () => connect(alice, machine))
    const again = await openTerminal(server.url, ticket, bearer(alice))
    expect(again).toMatchObject({ refused: true, status: 404, body: { status: "Not Found", data: null } })
    terminal.ws.close()
    await terminal.closed
    expect(await openTerminal(server.url, ticket, bearer(alice))).toMatchObject({ refused: true, status: 404 })
  })

  it("refuses another user's ticket (and leaves it to its owner), a missing credential and a malformed uuid", async () => {
    const ticket = await connect(alice, machine)
    expect(await openTerminal(server.url, ticket, bearer(bob))).toMatchObject({
      refused: true,
      status: 403,
      body: { status: "Forbidden", message: "This ticket was issued to another user", data: null }
    })
    expect(await openTerminal(server.url, ticket, {})).toMatchObject({ refused: true, status: 401 })
    expect(await openTerminal(server.url, "not-a-uuid", bearer(alice))).toMatchObject({ refused: true, status: 400 })
    const terminal = opened(await openTerminal(server.url, ticket, bearer(alice)))
    await terminal.waitFor("$ ")
    terminal.ws.close()
    await terminal.closed
  })

  it("refuses a wrong master password with 401 and makes no SSH attempt", async () => {
    const before = target.connections()
    const wrong = await alice.json("POST", `/api/v1/machine/${machine}/connect`, { password: "not the master password" })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toEqual({ status: "Unauthorized", message: "Wrong master password", data: null })
    expect(target.connections()).toBe(before)
    const events = await Effect.runPromise(server.store.readAll(1, 100_000))
    expect(events.filter((e) => e.type === "MasterPasswordRejected").length).toBeGreaterThan(0)
  })

  it("records the session: replaying its events reproduces the exact output bytes", async () => {
    const ticket = await connect(alice, machine)
    const terminal = opened(await openTerminal(server.url, ticket, bearer(alice)))
    terminal.type("stty size\r")
    await terminal.waitFor("24 80")
    terminal.resize(90, 33)
    terminal.type("bulk 300000\r")
    await terminal.waitFor("BULK-END")
    terminal.type("exit\r")
    const closed = await terminal.closed
    expect(closed).toMatchObject({ code: 1000 })
    const received = terminal.output()
    // The recording is stored by the time the session's resources are freed; allow it a moment.
    let events = await Effect.runPromise(server.store.readStream(`sshsession-ops-${ticket}`))
    for (let i = 0; i < 100 && !events.some((e) => e.type === "TerminalClosed"); i++) {
      await new Promise((r) => setTimeout(r, 20))
      events = await Effect.runPromise(server.store.readStream(`sshsession-ops-${ticket}`))
    }
    const replay = replayTerminal(events)
    expect(Buffer.from(replay.output).equals(received)).toBe(true)
    expect(Buffer.from(replay.input).toString()).toBe("stty size\rbulk 300000\rexit\r")
    expect(replay.opened).toMatchObject({ ticket, machineId: machine, hostname: "127.0.0.1", cols: 80, rows: 24 })
    expect(replay.frames.filter((f) => f.kind === "resize")).toMatchObject([{ cols: 90, rows: 33 }])
    expect(replay.closed).toMatchObject({ by: "machine" })
    // The machine's stream tells the connection story around it.
    const machineEvents = await Effect.runPromise(server.store.readStream(`machine-ops-${machine}`))
    expect(machineEvents.map((e) => e.type)).toEqual(expect.arrayContaining(["MachineRegistered", "HostKeyPinned", "HostKeyVerified", "MachineConnected"]))
  })

  it("authenticates with an encrypted private key and its passphrase", async () => {
    const pair = await encryptedKeyPair("key-passphrase-1")
    const keyTarget = await startSshTarget({ username: "keyuser", publicKey: pair.public })
    try {
      const id = await createMachine(alice, { ...machineBody(keyTarget.port), username: "keyuser", password: "", private_key: pair.private, passphrase: "key-passphrase-1" })
      const wrongPhrase = await alice.json("POST", "/api/v1/machine", { ...machineBody(keyTarget.port), password: "", private_key: pair.private, passphrase: "nope" }, { "x-master-password": MASTER_PASSWORD })
      expect(wrongPhrase.status).toBe(422)
      const terminal = opened(await openTerminal(server.url, await connect(alice, id), bearer(alice)))
      terminal.type("echo key\r")
      await terminal.waitFor("echo key")
      expect(keyTarget.authentications()).toBe(1)
      terminal.ws.close()
      await terminal.closed
    } finally {
      await keyTarget.close()
    }
  })

  it("pins the host key on first connect and refuses a different one before sending credentials", async () => {
    const first = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    const port = first.port
    const id = await createMachine(alice, machineBody(port))
    const ticket = await connect(alice, id)
    await first.close()
    const impostor = await startSshTarget({ username: "tester", password: "ssh-password-1", port })
    try {
      const refused = await alice.json("POST", `/api/v1/machine/${id}/connect`, { password: MASTER_PASSWORD })
      expect(refused.status).toBe(409)
      expect(refused.body.status).toBe("Conflict")
      expect(refused.body.message).toMatch(/^Host key mismatch for 127\.0\.0\.1:\d+: it presented ssh-ed25519 SHA256:\S+, but ssh-ed25519 SHA256:\S+ is pinned/)
      expect(impostor.connections()).toBe(1)
      expect(impostor.authentications()).toBe(0)
      const events = await Effect.runPromise(server.store.readStream(`machine-ops-${id}`))
      expect(events.map((e) => e.type)).toContain("HostKeyMismatch")
      // The old ticket's connection went down with the first server.
      expect(await openTerminal(server.url, ticket, bearer(alice))).toMatchObject({ refused: true })
    } finally {
      await impostor.close()
    }
  })

  it("answers a machine that refuses the connection with 502 in the envelope (504 is for timeouts)", async () => {
    const gone = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    const id = await createMachine(alice, machineBody(gone.port))
    await gone.close()
    const answer = await alice.json("POST", `/api/v1/machine/${id}/connect`, { password: MASTER_PASSWORD })
    expect(answer.status).toBe(502)
    expect(answer.body).toMatchObject({ status: "Bad Gateway", data: null, message: expect.stringMatching(/ECONNREFUSED/) })
  })
})

describe("SSH terminal lifetimes", () => {
  let server: TestServer
  let target: SshTarget
  let alice: Api
  let machine: number
  beforeAll(async () => {
    target = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    server = await startTestServer({ sshIdleSeconds: 1, sshTicketSeconds: 1 })
    const admin = await adminApi(server.url)
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })).api
    machine = await createMachine(alice, machineBody(target.port))
  })
  afterAll(async () => {
    await server.dispose()
    await target.close()
  })

  it("closes an idle terminal (code 4000) and frees its SSH connection; heartbeats keep it alive", async () => {
    const { terminal } = await openAtPrompt((ticket) => openTerminal(server.url, ticket, bearer(alice)), () => connect(alice, machine))
    const beat = setInterval(() => terminal.heartbeat(), 300)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(terminal.ws.readyState).toBe(terminal.ws.OPEN)
    clearInterval(beat)
    const closed = await terminal.closed
    expect(closed.code).toBe(4000)
    expect(closed.reason).toMatch(/no input/)
    await until(() => target.active() === 0)
  })

  it("closes the SSH connection of a ticket that lapses unclaimed", async () => {
    const ticket = await connect(alice, machine)
    expect(target.active()).toBe(1)
    await until(() => target.active() === 0, 3_000)
    expect(await openTerminal(server.url, ticket, bearer(alice))).toMatchObject({ refused: true, status: 404 })
  })

  it("ends the session cleanly when the server stops", async () => {
    const { terminal } = await openAtPrompt((ticket) => openTerminal(server.url, ticket, bearer(alice)), () => connect(alice, machine))
    const stopping = server.stop()
    const closed = await terminal.closed
    expect(closed.code).toBe(1001)
    await stopping
    await until(() => target.active() === 0)
  })
})
