import { createServer, type Server, type Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { createMachine, encryptedKeyPair, MASTER_PASSWORD, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"

const READ_WRITE = [{ feature: "machines", action: "read-write", scope: "self" }]

/** A loopback port nothing listens on: a connection to it is refused at once. */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe("SSH machines: seed 004's own example, organization as a label, connection failures", () => {
  let server: TestServer
  let admin: Api
  let alice: Api
  // Accepts TCP and never speaks SSH: the handshake can only time out.
  let silent: Server
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
      socket.on("close", () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    server = await startTestServer({ sshConnectTimeoutSeconds: 1 })
    admin = await adminApi(server.url)
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })).api
  })
  afterAll(async () => {
    await server?.dispose()
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })

  it("accepts the documented example with organization \"my-org\"; the machine lives in the active domain and keeps its label", async () => {
    const pair = await encryptedKeyPair("optional-passphrase")
    // The seed's body, word for word, but with a private key that is one (its placeholder is not).
    const example = {
      name: "Production Server",
      hostname: "192.168.1.100",
      port: "22",
      username: "ubuntu",
      password: "optional-password",
      private_key: pair.private,
      passphrase: "optional-passphrase",
      organization: "my-org"
    }
    const created = await alice.json("POST", "/api/v1/machine", example, { "x-master-password": MASTER_PASSWORD })
    expect(created.status).toBe(200)
    expect(created.body).toEqual({ status: "OK", message: "Machine created successfully", data: null })
    const id = Number(/(\d+)$/.exec(created.headers.get("location") ?? "")?.[1])
    const one = await alice.json("GET", `/api/v1/machine/${id}`)
    expect(one.body.data).toEqual({
      id,
      name: "Production Server",
      username: "ubuntu",
      hostname: "192.168.1.100",
      port: "22",
      organization: "my-org",
      owner_id: "alice",
      owner_type: "user"
    })
    // The label names no domain ("my-org" could not even be one: domain names have no hyphen). The
    // machine is where the Domain header put it, and only there.
    expect((await alice.json("GET", "/api/v1/machines")).body.data).toEqual([one.body.data])
    // The placeholder the seed shows for private_key is refused with what is wrong, not stored.
    const placeholder = await alice.json("POST", "/api/v1/machine", { ...example, private_key: "optional-private-key" }, { "x-master-password": MASTER_PASSWORD })
    expect(placeholder.status).toBe(422)
    expect(placeholder.body.message).toMatch(/private_key/)
  })

  it("filters the list by organization (?organization=), and lists every machine without it", async () => {
    await createMachine(alice, { ...machineBody(22), name: "Press 1", organization: "plant-a" })
    await createMachine(alice, { ...machineBody(22), name: "Press 2", organization: " plant-b " })
    await createMachine(alice, { ...machineBody(22), name: "Unlabelled" })
    const names = async (query: string) => {
      const answer = await alice.json("GET", `/api/v1/machines${query}`)
      expect(answer.status, query).toBe(200)
      return (answer.body.data as Array<{ name: string; organization: string | null }>).map((m) => `${m.name}:${m.organization}`)
    }
    expect(await names("?organization=plant-a")).toEqual(["Press 1:plant-a"])
    // Labels are stored trimmed.
    expect(await names("?organization=plant-b")).toEqual(["Press 2:plant-b"])
    expect(await names("?organization=my-org")).toEqual(["Production Server:my-org"])
    expect(await names("?organization=nowhere")).toEqual([])
    expect(await names("")).toEqual(["Production Server:my-org", "Press 1:plant-a", "Press 2:plant-b", "Unlabelled:null"])
    // Another user's machines never show, whatever the label.
    const bob = (await seedDomainUser(admin, { domain: "ops", username: "bob", group: "operators" })).api
    expect((await bob.json("GET", "/api/v1/machines?organization=plant-a")).body.data).toEqual([])

    const empty = await alice.json("GET", "/api/v1/machines?organization=")
    expect(empty.status).toBe(400)
    expect(empty.body).toMatchObject({ status: "Bad Request", data: null, message: expect.stringMatching(/leave it out/) })
    expect((await alice.json("GET", "/api/v1/machines?organization=a&organization=b")).status).toBe(400)
  })

  it("answers 502 when the machine refuses the TCP connection, saying what to check", async () => {
    const port = await closedPort()
    const id = await createMachine(alice, { ...machineBody(port), name: "Nothing listens" })
    const refused = await alice.json("POST", `/api/v1/machine/${id}/connect`, { password: MASTER_PASSWORD })
    expect(refused.status).toBe(502)
    expect(refused.body).toMatchObject({ status: "Bad Gateway", data: null })
    expect(refused.body.message).toContain(`127.0.0.1:${port}`)
    expect(refused.body.message).toMatch(/ECONNREFUSED/)
    expect(refused.body.message).toMatch(/Check that the SSH server runs there/)
  })

  it("answers 504 only when the machine does not answer in time", async () => {
    const port = (silent.address() as { port: number }).port
    const id = await createMachine(alice, { ...machineBody(port), name: "Never answers" })
    const timedOut = await alice.json("POST", `/api/v1/machine/${id}/connect`, { password: MASTER_PASSWORD })
    expect(timedOut.status).toBe(504)
    expect(timedOut.body).toMatchObject({ status: "Gateway Timeout", data: null })
    expect(timedOut.body.message).toMatch(/in time/)
    expect(timedOut.body.message).toMatch(/Check that the machine is up/)
  })
})
