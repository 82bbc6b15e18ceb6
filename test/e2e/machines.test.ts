import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, api, seedDomainUser, type Api } from "../support/api.js"
import { createMachine, encryptedKeyPair, MASTER_PASSWORD, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"

const READ_WRITE = [{ feature: "machines", action: "read-write", scope: "self" }]

describe("SSH machines registry (seed 004)", () => {
  let server: TestServer
  let admin: Api
  let alice: Api
  let bob: Api
  let carol: Api
  beforeAll(async () => {
    server = await startTestServer()
    admin = await adminApi(server.url)
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })).api
    bob = (await seedDomainUser(admin, { domain: "ops", username: "bob", group: "operators" })).api
    carol = (await seedDomainUser(admin, { domain: "ops", username: "carol", group: "viewers", permissions: [{ feature: "machines", action: "read", scope: "self" }] })).api
  })
  afterAll(() => server.dispose())

  it("creates, lists and reads machines in the seed's shapes and envelope", async () => {
    const created = await alice.json("POST", "/api/v1/machine", { ...machineBody(22), organization: "ops", master_password: MASTER_PASSWORD })
    expect(created.status).toBe(200)
    expect(created.body).toEqual({ status: "OK", message: "Machine created successfully", data: null })
    expect(created.headers.get("location")).toBe("/api/v1/machine/1")
    expect(created.headers.get("etag")).toBe('"1"')
    // Read-your-writes: the list already has it.
    const list = await alice.json("GET", "/api/v1/machines")
    expect(list.body).toEqual({
      status: "OK",
      message: "Machines fetched successfully",
      data: [{ id: 1, name: "Production Server", username: "tester", hostname: "127.0.0.1", port: "22", organization: "ops", owner_id: "alice", owner_type: "user" }]
    })
    const one = await alice.json("GET", "/api/v1/machine/1")
    expect(one.body).toEqual({ status: "OK", message: "Machine fetched successfully", data: list.body.data[0] })
    // A numeric port is accepted and answered as the seed's string.
    const second = await alice.json("POST", "/api/v1/machine", { ...machineBody(2222), port: 2222, name: "Dev" }, { "x-master-password": MASTER_PASSWORD })
    expect(second.status).toBe(200)
    expect((await alice.json("GET", "/api/v1/machine/2")).body.data).toMatchObject({ id: 2, name: "Dev", port: "2222" })
  })

  it("accepts the cookie jwt as the seed's clients send it", async () => {
    const response = await fetch(`${server.url}/api/v1/machines`, { headers: { cookie: `jwt=${alice.token}`, domain: "domains:ops" } })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: Array<unknown> }).data).toHaveLength(2)
  })

  it("shows a machine only to its owner: others get 404 everywhere, as for a missing one", async () => {
    expect((await bob.json("GET", "/api/v1/machines")).body.data).toEqual([])
    for (const [method, path, body] of [
      ["GET", "/api/v1/machine/1", undefined],
      ["DELETE", "/api/v1/machine/1", undefined],
      ["POST", "/api/v1/machine/1/connect", { password: MASTER_PASSWORD }]
    ] as const) {
      const answer = await bob.json(method, path, body)
      expect(answer.status, `${method} ${path}`).toBe(404)
      expect(answer.body).toEqual({ status: "Not Found", message: "No machine 1", data: null })
    }
    expect((await alice.json("GET", "/api/v1/machine/99")).status).toBe(404)
    // Another domain is another registry: alice's machine 1 does not exist there.
    expect((await admin.inDomain("machhub_admin").json("GET", "/api/v1/machine/1")).status).toBe(404)
  })

  it("answers bad input with a clear 4xx in the envelope", async () => {
    const bad = async (body: unknown, headers: Record<string, string> = { "x-master-password": MASTER_PASSWORD }) => {
      const answer = await alice.json("POST", "/api/v1/machine", body, headers)
      expect(answer.body).toMatchObject({ status: expect.any(String), message: expect.any(String), data: null })
      return answer
    }
    const malformed = await alice.request("POST", "/api/v1/machine", undefined, { "content-type": "application/json", "x-master-password": MASTER_PASSWORD })
    expect(malformed.status).toBe(400)
    expect((await bad({ hostname: "h", port: "22", username: "u", password: "p" })).status).toBe(400)
    expect((await bad({ ...machineBody(22), port: "99999" })).status).toBe(422)
    expect((await bad({ ...machineBody(22), hostname: "not a host" })).status).toBe(422)
    expect((await bad({ ...machineBody(22), name: "  " })).status).toBe(422)
    const noCredential = await bad({ ...machineBody(22), password: "" })
    expect(noCredential.status).toBe(422)
    expect(noCredential.body.message).toMatch(/password or private_key/)
    expect((await bad({ ...machineBody(22), private_key: "not a key" })).status).toBe(422)
    expect((await bad({ ...machineBody(22), organization: "bad\u0001label" })).status).toBe(422)
    const noMaster = await bad(machineBody(22), {})
    expect(noMaster.status).toBe(400)
    expect(noMaster.body.message).toMatch(/X-Master-Password/)
    expect((await bad({ ...machineBody(22), master_password: "another one" }, { "x-master-password": MASTER_PASSWORD })).status).toBe(400)
    const wrongType = await alice.json("POST", "/api/v1/machine", "x", { "content-type": "text/plain" })
    expect(wrongType.status).toBe(415)
    expect((await alice.json("GET", "/api/v1/machine/abc")).status).toBe(400)
    expect((await alice.json("GET", "/api/v1/machine/abc")).body.status).toBe("Bad Request")
    expect((await alice.json("POST", "/api/v1/machine/1/connect", {})).status).toBe(400)
  })

  it("refuses a second machine sealed with another master password (401), and a weak first one (422)", async () => {
    const wrong = await alice.json("POST", "/api/v1/machine", machineBody(22), { "x-master-password": "not my master password" })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toEqual({ status: "Unauthorized", message: "Wrong master password", data: null })
    const weak = await bob.json("POST", "/api/v1/machine", machineBody(22), { "x-master-password": "short" })
    expect(weak.status).toBe(422)
    expect((await bob.json("GET", "/api/v1/machines")).body.data).toEqual([])
  })

  it("requires machines:read to read and machines:read-write to change; no API keys; a credential at all", async () => {
    expect((await carol.json("GET", "/api/v1/machines")).status).toBe(200)
    const refused = await carol.json("POST", "/api/v1/machine", machineBody(22), { "x-master-password": MASTER_PASSWORD })
    expect(refused.status).toBe(403)
    expect(refused.body).toEqual({ status: "Forbidden", message: "Missing permission machines:read-write:self in domain ops", data: null })
    const anonymous = await fetch(`${server.url}/api/v1/machines`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ status: "Unauthorized", data: null })
    const key = await admin.inDomain("ops").json("POST", "/api/api-key/generate", { name: "k", features: [{ name: "machines", action: "read", scope: "self" }] })
    expect(key.status).toBe(200)
    const withKey = await api(server.url, key.body.token, "ops", "x-api-key").json("GET", "/api/v1/machines")
    expect(withKey.status).toBe(403)
    expect(withKey.body.message).toMatch(/API keys cannot use SSH machines/)
  })

  it("deletes (owner only, If-Match honoured); the machine is gone from reads", async () => {
    const id = await createMachine(alice, { ...machineBody(22), name: "Doomed" })
    expect((await alice.json("DELETE", `/api/v1/machine/${id}`, undefined, { "if-match": '"7"' })).status).toBe(412)
    const deleted = await alice.json("DELETE", `/api/v1/machine/${id}`)
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ status: "OK", message: "Machine deleted successfully", data: null })
    expect((await alice.json("GET", `/api/v1/machine/${id}`)).status).toBe(404)
    expect((await alice.json("DELETE", `/api/v1/machine/${id}`)).status).toBe(404)
    expect((await alice.json("GET", "/api/v1/machines")).body.data.map((m: { name: string }) => m.name)).not.toContain("Doomed")
  })

  it("keeps only ciphertexts: no secret or master password in events, read models or any file", async () => {
    const secrets = { password: "pw-zebra-4417", private_key: undefined as string | undefined, passphrase: undefined as string | undefined }
    const pair = await encryptedKeyPair("phrase-okapi-9921")
    secrets.private_key = pair.private
    secrets.passphrase = "phrase-okapi-9921"
    const master = "master-narwhal-5512"
    const dave = (await seedDomainUser(admin, { domain: "ops", username: "dave", group: "operators" })).api
    await createMachine(dave, { ...machineBody(22), ...secrets }, master)
    const events = await Effect.runPromise(server.store.readAll(1, 100_000))
    const registered = events.filter((e) => e.type === "MachineRegistered")
    expect(registered.length).toBeGreaterThan(0)
    for (const event of registered) {
      for (const value of Object.values((event.data as { secrets: Record<string, string> }).secrets)) expect(value).toMatch(/^gcm1\./)
    }
    const keyBody = pair.private.split("\n").filter((line) => !line.startsWith("-----")).join("")
    const files = (dir: string): Array<string> =>
      readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]))
    const everything = files(server.dataDir).map((file) => readFileSync(file).toString("latin1")).join("\n")
    for (const secret of [secrets.password, secrets.passphrase, master, MASTER_PASSWORD, keyBody.slice(0, 40)]) {
      expect(everything.includes(secret), secret).toBe(false)
      expect(JSON.stringify(events).includes(secret), secret).toBe(false)
    }
    // Reads never answer a secret, not even sealed.
    const answered = JSON.stringify((await dave.json("GET", "/api/v1/machines")).body)
    expect(answered).not.toMatch(/gcm1|password|private_key|passphrase/)
  })
})
