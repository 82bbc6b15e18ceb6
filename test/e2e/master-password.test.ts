import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { createMachine, encryptedKeyPair, MASTER_PASSWORD, machineBody } from "../support/machines.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { startSshTarget, type SshTarget } from "../support/ssh-target.mjs"

const READ_WRITE = [{ feature: "machines", action: "read-write", scope: "self" }]
const NEW_MASTER = "a brand new master password"
const WRONG = { status: "Unauthorized", message: "Wrong master password", data: null }

const change = (user: Api, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  user.json("PUT", "/api/v1/master-password", body, headers)

const connectStatus = async (user: Api, id: number, master: string) => {
  const answer = await user.json("POST", `/api/v1/machine/${id}/connect`, { password: master })
  return { status: answer.status, body: answer.body }
}

const allEvents = (server: TestServer) => Effect.runPromise(server.store.readAll(1, 1_000_000))
const ofType = (events: ReadonlyArray<RecordedEvent>, type: string, ownerId: string) =>
  events.filter((event) => event.type === type && (event.data as { ownerId?: string }).ownerId === ownerId)

describe("changing the master password (PUT /api/v1/master-password)", () => {
  let server: TestServer
  let target: SshTarget
  let admin: Api
  let alice: Api
  let aliceId: string
  let key: { readonly private: string; readonly public: string }
  let opsMachine: number
  let labMachine: number
  beforeAll(async () => {
    key = await encryptedKeyPair("phrase-ibex-3310")
    target = await startSshTarget({ username: "tester", password: "ssh-password-1", publicKey: key.public })
    // Generous limits: the race below sends wrong (old) master passwords on purpose.
    server = await startTestServer({ loginMaxFailures: 1000, loginMaxFailuresPerAddress: 1000 })
    admin = await adminApi(server.url)
    const seeded = await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: READ_WRITE })
    alice = seeded.api
    aliceId = seeded.userId
    // alice is a member of a second domain too: one master password seals her machines of both.
    await seedDomainUser(admin, { domain: "lab", username: "labrat", group: "operators", permissions: READ_WRITE })
    expect((await admin.inDomain("lab").json("PATCH", `/api/users/${aliceId}`, { groups: ["operators"] })).status).toBe(200)
    opsMachine = await createMachine(alice, machineBody(target.port))
    labMachine = await createMachine(alice.inDomain("lab"), {
      ...machineBody(target.port, { name: "Lab box", password: undefined }),
      private_key: key.private,
      passphrase: "phrase-ibex-3310"
    })
  })
  afterAll(async () => {
    await server?.dispose()
    await target?.close()
  })

  it("re-seals every machine of every domain in one event; the new password opens them, the old one gets the wrong-password 401", async () => {
    const changed = await change(alice, { old_password: MASTER_PASSWORD, new_password: NEW_MASTER })
    expect(changed.status).toBe(200)
    expect(changed.body).toEqual({ status: "OK", message: "Master password changed successfully", data: { machines: 2 } })
    expect(changed.headers.get("app-event-position")).toMatch(/^\d+$/)

    const events = await allEvents(server)
    const recorded = ofType(events, "MasterPasswordChanged", aliceId)
    expect(recorded).toHaveLength(1)
    const machines = (recorded[0]!.data as { machines: Array<{ domain: string; machineId: number; secrets: Record<string, string> }> }).machines
    expect(machines.map((m) => `${m.domain}/${m.machineId}`).sort()).toEqual([`lab/${labMachine}`, `ops/${opsMachine}`])
    expect(Object.keys(machines.find((m) => m.domain === "lab")!.secrets).sort()).toEqual(["passphrase", "privateKey"])
    for (const machine of machines) for (const sealed of Object.values(machine.secrets)) expect(sealed).toMatch(/^gcm1\./)
    const log = JSON.stringify(events)
    for (const secret of [MASTER_PASSWORD, NEW_MASTER, "ssh-password-1", "phrase-ibex-3310"]) expect(log.includes(secret), secret).toBe(false)

    // The old password is refused exactly like any wrong one, before any SSH traffic.
    const before = target.connections()
    expect(await connectStatus(alice, opsMachine, MASTER_PASSWORD)).toEqual({ status: 401, body: WRONG })
    expect(target.connections()).toBe(before)
    const authenticated = target.authentications()
    expect((await connectStatus(alice, opsMachine, NEW_MASTER)).status).toBe(200)
    expect((await connectStatus(alice.inDomain("lab"), labMachine, NEW_MASTER)).status).toBe(200)
    // Both machines accepted the credentials the new key opened (password; private key with passphrase).
    expect(target.authentications()).toBe(authenticated + 2)

    const withOld = await alice.json("POST", "/api/v1/machine", machineBody(target.port, { name: "Old" }), { "x-master-password": MASTER_PASSWORD })
    expect(withOld).toMatchObject({ status: 401, body: WRONG })
    expect((await change(alice, { old_password: MASTER_PASSWORD, new_password: "yet another master password" })).body).toEqual(WRONG)
  })

  it("keeps the change through a rebuild of the read models from the log", async () => {
    await Effect.runPromise(server.projections!.rebuild())
    expect((await connectStatus(alice, opsMachine, NEW_MASTER)).status).toBe(200)
    expect((await connectStatus(alice, opsMachine, MASTER_PASSWORD)).status).toBe(401)
  })

  it("takes the old password from X-Master-Password as well, and answers bad input in the envelope", async () => {
    const envelope = { status: expect.any(String), message: expect.any(String), data: null }
    const missingNew = await change(alice, { old_password: NEW_MASTER })
    expect(missingNew).toMatchObject({ status: 400, body: envelope })
    const noOld = await change(alice, { new_password: "one more master password" })
    expect(noOld.status).toBe(400)
    expect(noOld.body.message).toMatch(/X-Master-Password|old_password/)
    const disagree = await change(alice, { old_password: NEW_MASTER, new_password: "one more master password" }, { "x-master-password": "something else entirely" })
    expect(disagree.status).toBe(400)
    const weak = await change(alice, { old_password: NEW_MASTER, new_password: "short" })
    expect(weak).toMatchObject({ status: 422, body: envelope })
    expect(weak.body.message).toMatch(/10 to 1024 characters/)
    const same = await change(alice, { old_password: NEW_MASTER, new_password: NEW_MASTER })
    expect(same.status).toBe(422)
    expect(same.body.message).toMatch(/differ/)
    const malformed = await alice.request("PUT", "/api/v1/master-password", undefined, { "content-type": "application/json" })
    expect(malformed.status).toBe(400)
    // Nothing above changed it.
    expect((await connectStatus(alice, opsMachine, NEW_MASTER)).status).toBe(200)

    const viaHeader = await change(alice, { new_password: "third master password" }, { "x-master-password": NEW_MASTER })
    expect(viaHeader.status).toBe(200)
    expect((await connectStatus(alice, opsMachine, "third master password")).status).toBe(200)
    expect((await change(alice, { new_password: NEW_MASTER }, { "x-master-password": "third master password" })).status).toBe(200)
  })

  it("answers 404 to a user who has no master password yet, and needs machines:read-write", async () => {
    const fresh = (await seedDomainUser(admin, { domain: "ops", username: "newbie", group: "operators" })).api
    const none = await change(fresh, { old_password: "whatever it was", new_password: "whatever it will be" })
    expect(none.status).toBe(404)
    expect(none.body.message).toMatch(/first machine you create sets it/)
    const reader = (await seedDomainUser(admin, {
      domain: "ops",
      username: "reader",
      group: "readers",
      permissions: [{ feature: "machines", action: "read", scope: "self" }]
    })).api
    expect((await change(reader, { old_password: "whatever it was", new_password: "whatever it will be" })).status).toBe(403)
  })

  it("records a wrong old password as MasterPasswordRejected and changes nothing", async () => {
    const wrong = await change(alice, { old_password: "not the master password", new_password: "a hijacker's password" })
    expect(wrong).toMatchObject({ status: 401, body: WRONG })
    const events = await allEvents(server)
    expect(ofType(events, "MasterPasswordRejected", aliceId).length).toBeGreaterThan(0)
    expect(ofType(events, "MasterPasswordChanged", aliceId)).toHaveLength(3)
    expect((await connectStatus(alice, opsMachine, NEW_MASTER)).status).toBe(200)
  })

  it("leaves no machine unusable when machines are created with the old password while it changes", async () => {
    const { api: carol, userId: carolId } = await seedDomainUser(admin, { domain: "ops", username: "carol", group: "operators" })
    const first = await createMachine(carol, machineBody(target.port, { name: "carol-0" }))
    const OLD = MASTER_PASSWORD
    const NEXT = "carol's next master password"
    const creates = Array.from({ length: 6 }, (_, i) =>
      carol.json("POST", "/api/v1/machine", machineBody(target.port, { name: `carol-${i + 1}` }), { "x-master-password": OLD }))
    const changed = change(carol, { old_password: OLD, new_password: NEXT })
    const answers = await Promise.all(creates)
    expect((await changed).status).toBe(200)
    // Each create either made a machine (before or during the change), was refused with the old
    // password (after it), or was undone with a request to create it again: never anything else.
    for (const answer of answers) expect([200, 401, 409], JSON.stringify(answer.body)).toContain(answer.status)

    const listed = (await carol.json("GET", "/api/v1/machines")).body.data as Array<{ id: number; name: string }>
    expect(listed.map((m) => m.id)).toContain(first)
    expect(listed.length).toBe(1 + answers.filter((a) => a.status === 200).length)
    // Whatever exists opens with the new password.
    for (const machine of listed) expect((await connectStatus(carol, machine.id, NEXT)).status, machine.name).toBe(200)
    expect(ofType(await allEvents(server), "MasterPasswordChanged", carolId)).toHaveLength(1)
  })
})

describe("changing the master password is throttled like connect", () => {
  let server: TestServer
  afterAll(() => server?.dispose())

  it("refuses guesses beyond the limit with 429 and Retry-After, whatever the guess", async () => {
    server = await startTestServer({ loginMaxFailures: 3 })
    const admin = await adminApi(server.url)
    const dave = (await seedDomainUser(admin, { domain: "ops", username: "dave", group: "operators", permissions: READ_WRITE })).api
    await createMachine(dave, machineBody(22))
    for (let i = 0; i < 3; i++) {
      expect((await change(dave, { old_password: `guess number ${i} for dave`, new_password: "dave's new master password" })).status).toBe(401)
    }
    const throttled = await change(dave, { old_password: MASTER_PASSWORD, new_password: "dave's new master password" })
    expect(throttled.status).toBe(429)
    expect(throttled.body).toMatchObject({ status: "Too Many Requests", data: null })
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0)
    // Connect shares the budget: it is refused too, before the password is even checked.
    expect((await dave.json("POST", "/api/v1/machine/1/connect", { password: MASTER_PASSWORD })).status).toBe(429)
  })
})
