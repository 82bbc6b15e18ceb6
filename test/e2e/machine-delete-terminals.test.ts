import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { connect, createMachine, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { startSshTarget, type SshTarget } from "../support/ssh-target.mjs"
import { openTerminal, type Refused, type TerminalClient } from "../support/terminalClient.js"

const READ_WRITE = [{ feature: "machines", action: "read-write", scope: "self" }]
const bearer = (api: Api) => ({ authorization: `Bearer ${api.token}` })

const opened = (client: TerminalClient | Refused): TerminalClient => {
  if (client.refused) throw new Error(`refused: ${client.status} ${JSON.stringify(client.body)}`)
  return client
}

const until = async (condition: () => boolean, what: string, timeoutMillis = 10_000) => {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > timeoutMillis) throw new Error(`never: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe("deleting a machine ends its terminal sessions", () => {
  let server: TestServer
  let target: SshTarget
  let alice: Api
  beforeAll(async () => {
    target = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    server = await startTestServer()
    const admin = await adminApi(server.url)
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })).api
  })
  afterAll(async () => {
    await server?.dispose()
    await target?.close()
  })

  it("closes its sockets with 4001 and a reason, ends their SSH connections, voids its tickets, and leaves other machines' sessions alone", async () => {
    const doomed = await createMachine(alice, machineBody(target.port, { name: "Doomed" }))
    const kept = await createMachine(alice, machineBody(target.port, { name: "Kept" }))
    const firstTicket = await connect(alice, doomed)
    const first = opened(await openTerminal(server.url, firstTicket, bearer(alice)))
    const second = opened(await openTerminal(server.url, await connect(alice, doomed), bearer(alice)))
    const other = opened(await openTerminal(server.url, await connect(alice, kept), bearer(alice)))
    for (const terminal of [first, second, other]) await terminal.waitFor("$ ")
    const unclaimed = await connect(alice, doomed)
    // Three shells and one connection waiting for its socket.
    await until(() => target.active() === 4, "four SSH connections open")

    const deleted = await alice.json("DELETE", `/api/v1/machine/${doomed}`)
    expect(deleted.status).toBe(200)

    for (const terminal of [first, second]) {
      expect(await terminal.closed).toEqual({ code: 4001, reason: "the machine was deleted" })
    }
    // Only the kept machine's connection is left.
    await until(() => target.active() === 1, "only one SSH connection left")
    const refused = await openTerminal(server.url, unclaimed, bearer(alice))
    expect(refused).toMatchObject({ refused: true, status: 404, body: { status: "Not Found", data: null } })

    const mark = other.output().length
    other.type("echo still here\r")
    await other.waitFor("still here", { from: mark })
    other.ws.close()
    await other.closed

    // The recording says who ended the session and why.
    const events = await Effect.runPromise(server.store.readAll(1, 1_000_000))
    const closed = events.find((event) => event.type === "TerminalClosed" && event.stream.endsWith(firstTicket))
    expect(closed?.data).toMatchObject({ by: "server", reason: "the machine was deleted" })
  })

  it("refuses to connect to the deleted machine and to open a ticket issued before the delete", async () => {
    const id = await createMachine(alice, machineBody(target.port, { name: "Short-lived" }))
    const ticket = await connect(alice, id)
    expect((await alice.json("DELETE", `/api/v1/machine/${id}`)).status).toBe(200)
    expect(await openTerminal(server.url, ticket, bearer(alice))).toMatchObject({ refused: true, status: 404 })
    expect((await alice.json("POST", `/api/v1/machine/${id}/connect`, { password: "my master password 1" })).status).toBe(404)
  })
})
