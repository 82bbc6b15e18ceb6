import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { connect, createMachine, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { startSshTarget, type SshTarget } from "../support/ssh-target.mjs"
import { openTerminal, type Refused, type TerminalClient } from "../support/terminalClient.js"

const opened = (client: TerminalClient | Refused): TerminalClient => {
  if (client.refused) throw new Error(`refused: ${client.status} ${JSON.stringify(client.body)}`)
  return client
}

describe("SSH session replay for auditors: GET /api/audit/ssh/<session>", () => {
  let server: TestServer
  let target: SshTarget
  let admin: Api
  let alice: Api
  let auditor: Api
  let ticket: string
  let received: Buffer

  beforeAll(async () => {
    target = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    server = await startTestServer()
    admin = await adminApi(server.url)
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: [{ feature: "machines", action: "read-write", scope: "self" }] })).api
    auditor = (await seedDomainUser(admin, { domain: "ops", username: "audrey", group: "auditors", permissions: [{ feature: "audit", action: "read", scope: "domain" }] })).api
    const machine = await createMachine(alice, machineBody(target.port))
    ticket = await connect(alice, machine)
    const terminal = opened(await openTerminal(server.url, ticket, { authorization: `Bearer ${alice.token}` }))
    await terminal.waitFor("$ ")
    terminal.resize(100, 30)
    terminal.type("stty size\r")
    await terminal.waitFor("30 100\r\n")
    // Multi-byte characters, so the asciicast's text must be decoded across chunk boundaries.
    terminal.type("héllo wörld\r")
    await terminal.waitFor("héllo wörld\r")
    terminal.type("exit\r")
    await terminal.closed
    received = terminal.output()
    // The recording's last event is stored once the session's resources are let go.
    for (let i = 0; i < 100; i++) {
      const stream = await admin.json("GET", `/api/audit/streams/sshsession-ops-${ticket}`)
      if (stream.status === 200 && stream.body.events.some((e: { type: string }) => e.type === "TerminalClosed")) break
      await new Promise((r) => setTimeout(r, 20))
    }
  })
  afterAll(async () => {
    await server.dispose()
    await target.close()
  })

  it("answers the session as timed frames that add up to exactly what the user saw", async () => {
    const replay = await auditor.json("GET", `/api/audit/ssh/${ticket}`)
    expect(replay.status).toBe(200)
    expect(replay.body).toMatchObject({ session: ticket, domain: "ops", hostname: "127.0.0.1", username: "tester", cols: 80, rows: 24, closed: { by: "machine" } })
    const frames = replay.body.frames as Array<{ t: number; type: string; data?: string; cols?: number; rows?: number }>
    const output = Buffer.concat(frames.filter((f) => f.type === "output").map((f) => Buffer.from(f.data!, "base64")))
    expect(output.equals(received)).toBe(true)
    expect(frames.filter((f) => f.type === "resize")).toMatchObject([{ cols: 100, rows: 30 }])
    // Times only move forward, so a player can sleep between frames.
    expect(frames.map((f) => f.t)).toEqual([...frames.map((f) => f.t)].sort((a, b) => a - b))
    // Keystrokes are left out unless asked for.
    expect(frames.some((f) => f.type === "input")).toBe(false)
    const withInput = await auditor.json("GET", `/api/audit/ssh/${ticket}?input=true`)
    const typed = (withInput.body.frames as typeof frames).filter((f) => f.type === "input").map((f) => Buffer.from(f.data!, "base64").toString())
    expect(typed.join("")).toBe("stty size\rhéllo wörld\rexit\r")
  })

  it("answers asciicast v2 for asciinema players", async () => {
    const response = await auditor.request("GET", `/api/audit/ssh/${ticket}?format=asciicast`)
    expect(response.status).toBe(200)
    const [header, ...lines] = (await response.text()).trimEnd().split("\n").map((line) => JSON.parse(line))
    expect(header).toMatchObject({ version: 2, width: 80, height: 24, timestamp: expect.any(Number) })
    const output = lines.filter((l) => l[1] === "o").map((l) => l[2]).join("")
    expect(output).toBe(received.toString("utf8"))
    expect(lines.filter((l) => l[1] === "r").map((l) => l[2])).toEqual(["100x30"])
  })

  it("is for auditors of the session's domain only", async () => {
    expect((await alice.json("GET", `/api/audit/ssh/${ticket}`)).status).toBe(403)
    const other = (await seedDomainUser(admin, { domain: "elsewhere", username: "eve", group: "auditors", permissions: [{ feature: "audit", action: "read", scope: "domain" }] })).api
    expect((await other.json("GET", `/api/audit/ssh/${ticket}`)).status).toBe(404)
    expect((await other.json("GET", `/api/audit/ssh/${ticket}?domain=ops`)).status).toBe(403)
    // A global auditor names the domain.
    expect((await admin.json("GET", `/api/audit/ssh/${ticket}`)).status).toBe(404)
    expect((await admin.json("GET", `/api/audit/ssh/${ticket}?domain=ops`)).status).toBe(200)
    expect((await auditor.json("GET", "/api/audit/ssh/no-such-session")).status).toBe(404)
    expect((await auditor.json("GET", `/api/audit/ssh/${ticket}?format=mp4`)).status).toBe(400)
  })
})
