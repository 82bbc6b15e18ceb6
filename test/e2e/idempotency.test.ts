import { randomUUID } from "node:crypto"
import type { RecordedEvent } from "@machhub/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, seedDomainUser, type Api } from "../support/api.js"
import { machineBody, MASTER_PASSWORD } from "../support/machines.js"
import { readWholeLog } from "../support/readWholeLog.js"
import { loginAsAdmin, startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/**
 * `Idempotency-Key` on every management mutation (SPEC §1): the same request retried with the same key
 * by the same caller gets the first answer (status, body, ETag, App-Event-Position) and appends
 * nothing; another caller's same key is another request; and it holds across a restart, since the
 * server remembers keys only through the events in the log (embedded SQLite, same data dir).
 */

const DOMAIN = "idem"
const perm = (feature: string, action: string, scope: string) => ({ feature, action, scope })

interface Answer {
  readonly status: number
  readonly body: string
  readonly etag: string | null
  readonly position: string | null
  readonly replayed: string | null
  readonly location: string | null
}

describe("Idempotency-Key on management mutations", () => {
  const dir = tempDir("machhub-idempotency-")
  let server: TestServer
  let admin: Api
  /** A second caller with wide rights in the domain: its keys must never be confused with admin's. */
  let olga: { api: Api; userId: string }

  beforeAll(async () => {
    server = await startTestServer({ dataDir: dir.path })
    admin = api(server.url, await loginAsAdmin(server.url), DOMAIN)
    olga = await seedDomainUser(admin.inDomain(undefined), {
      domain: DOMAIN,
      username: "olga",
      group: "admins",
      permissions: [perm("users", "read-write", "domain"), perm("groups", "read-write", "domain"), perm("api_keys", "read-write", "domain")]
    })
  })
  afterAll(async () => {
    await server.stop()
    dir.cleanup()
  })

  const send = async (as: Api, method: string, path: string, body: unknown, key: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await as.request(method, path, body, { "idempotency-key": key, ...headers })
    return {
      status: response.status,
      body: await response.text(),
      etag: response.headers.get("etag"),
      position: response.headers.get("app-event-position"),
      replayed: response.headers.get("idempotent-replayed"),
      location: response.headers.get("location")
    }
  }

  /** The events in the log recorded for `key` (by `actorId`, when given). */
  const eventsWith = async (key: string, actorId?: string): Promise<Array<RecordedEvent>> => {
    const log = await Effect.runPromise(readWholeLog((from, limit) => server.store.readAll(from, limit)))
    return log.filter((event) => event.meta.idempotencyKey === key && (actorId === undefined || event.meta.actor.id === actorId))
  }

  const sameAnswer = (retry: Answer, first: Answer) => {
    const { replayed: _r1, ...firstRest } = first
    const { replayed: _r2, ...retryRest } = retry
    expect(retryRest).toEqual(firstRest)
    expect(first.replayed).toBeNull()
    expect(retry.replayed).toBe("true")
  }

  /** Sends one request twice with one fresh key: the same answer twice, and `events` events in the log. */
  const retried = async (as: Api, method: string, path: string, body: unknown, events: number, headers: Record<string, string> = {}) => {
    const key = `try-${randomUUID()}`
    const first = await send(as, method, path, body, key, headers)
    expect(first.status, first.body).toBeLessThan(300)
    expect(first.etag).toMatch(/^"\d+"$/)
    expect(first.position).toMatch(/^\d+$/)
    const retry = await send(as, method, path, body, key, headers)
    sameAnswer(retry, first)
    expect(await eventsWith(key)).toHaveLength(events)
    return { key, first, body: first.body.startsWith("{") ? JSON.parse(first.body) : first.body }
  }

  it("answers a retried management mutation as the first time and appends nothing more", async () => {
    const root = admin.inDomain(undefined)
    await retried(root, "POST", "/api/domains", { name: "idem_two" }, 1)

    const group = await retried(admin, "POST", "/api/groups", { name: "readers", permissions: [] }, 1)
    expect(group.first.status).toBe(201)
    await retried(admin, "POST", "/api/groups/readers/permissions", perm("users", "read", "domain"), 1)
    await retried(admin, "DELETE", "/api/groups/readers/permissions", perm("users", "read", "domain"), 1)

    // A user is two events: the username's claim and the registration.
    const user = await retried(admin, "POST", "/api/users", { username: "ursula", password: "ursula-password-1", groups: ["readers"] }, 2)
    expect(user.first.status).toBe(201)
    const userId = user.body.id as string
    expect((await admin.json("GET", "/api/users")).body.filter((u: { username: string }) => u.username === "ursula")).toHaveLength(1)
    await retried(admin, "POST", `/api/users/${userId}/disable`, {}, 1)
    await retried(admin, "POST", `/api/users/${userId}/enable`, {}, 1)
    await retried(admin, "PATCH", `/api/users/${userId}`, { groups: [] }, 1)
    await retried(admin, "POST", `/api/users/${userId}/password`, { password: "ursula-password-2" }, 1)

    await retried(admin, "POST", "/api/collections", { name: "gadgets", access: { owner: "domain" } }, 1)

    // The retry shows the very token the first answer showed, and it works.
    const key = await retried(admin, "POST", "/api/api-key/generate", { name: "deploy" }, 1)
    const keyId = key.body.id as string
    expect((await api(server.url, key.body.token, DOMAIN).json("GET", "/api/me")).body).toMatchObject({ kind: "key", id: keyId })
    expect((await admin.json("GET", "/api/api-key/get-all")).body.filter((k: { name: string }) => k.name === "deploy")).toHaveLength(1)
    await retried(admin, "PATCH", `/api/api-key/${keyId}`, { description: "for deployments" }, 1)
    await retried(admin, "POST", `/api/api-key/${keyId}/suspend`, { reason: "audit" }, 1)
    await retried(admin, "POST", `/api/api-key/${keyId}/resume`, {}, 1)
    await retried(admin, "DELETE", `/api/api-key/${keyId}`, undefined, 1)

    // A machine is an id allocation and a registration (the vault, made once per owner, is not keyed).
    const machine = await retried(admin, "POST", "/api/v1/machine", machineBody(22, { name: "idempotent" }), 2, { "x-master-password": MASTER_PASSWORD })
    expect(machine.first.location).toMatch(/^\/api\/v1\/machine\/\d+$/)
    const machines = (await admin.json("GET", "/api/v1/machines")).body.data as Array<{ name: string }>
    expect(machines.filter((m) => m.name === "idempotent")).toHaveLength(1)
  })

  it("opens one session for a retried POST /sessions and answers it again with fresh tokens", async () => {
    const key = `session-${randomUUID()}`
    const basic = { authorization: `Basic ${Buffer.from("olga:olga-password-123").toString("base64")}`, "idempotency-key": key }
    const open = async () => {
      const response = await fetch(`${server.url}/sessions/`, { method: "POST", headers: basic })
      return { status: response.status, etag: response.headers.get("etag"), position: response.headers.get("app-event-position"), body: await response.json() as { session_id: string; refresh_token: string } }
    }
    const first = await open()
    const retry = await open()
    expect(first.status).toBe(201)
    expect(retry).toMatchObject({ status: 201, etag: first.etag, position: first.position, body: { session_id: first.body.session_id } })
    expect(await eventsWith(key)).toHaveLength(1)
    // The retry's refresh token refreshes the one session.
    const refreshed = await fetch(`${server.url}/sessions/refresh/`, { method: "POST", headers: { authorization: `Bearer ${retry.body.refresh_token}` } })
    expect(refreshed.status).toBe(200)
  })

  it("keeps two callers' requests apart when they send the same key", async () => {
    const key = `shared-${randomUUID()}`
    // Creations: each caller's key names its own new aggregate.
    const adminsGroup = await send(admin, "POST", "/api/groups", { name: "by_admin", permissions: [] }, key)
    const olgasGroup = await send(olga.api, "POST", "/api/groups", { name: "by_olga", permissions: [] }, key)
    expect([adminsGroup.status, olgasGroup.status]).toEqual([201, 201])
    expect(olgasGroup.replayed).toBeNull()
    const adminsKey = await admin.json("POST", "/api/api-key/generate", { name: "admins" }, { "idempotency-key": key })
    const olgasKey = await olga.api.json("POST", "/api/api-key/generate", { name: "olgas" }, { "idempotency-key": key })
    expect([adminsKey.status, olgasKey.status]).toEqual([200, 200])
    expect(olgasKey.body.id).not.toBe(adminsKey.body.id)
    expect(olgasKey.body.token).not.toBe(adminsKey.body.token)
    expect((await api(server.url, olgasKey.body.token, DOMAIN).json("GET", "/api/me")).body).toMatchObject({ kind: "key", id: olgasKey.body.id })

    // A change of one aggregate: olga's enable with admin's key is decided, not answered as admin's disable.
    const target = await admin.json("POST", "/api/users", { username: "victor", password: "victor-password-1" })
    const disabled = await send(admin, "POST", `/api/users/${target.body.id}/disable`, {}, key)
    const enabled = await send(olga.api, "POST", `/api/users/${target.body.id}/enable`, {}, key)
    expect([disabled.status, enabled.status]).toEqual([200, 200])
    expect(enabled.replayed).toBeNull()
    expect(JSON.parse(enabled.body).user.disabled).toBe(false)
    expect(enabled.etag).not.toBe(disabled.etag)
    expect(await eventsWith(key, olga.userId)).toHaveLength(3)
  })

  it("refuses a malformed key with 400 before anything is recorded", async () => {
    const head = await Effect.runPromise(server.store.headPosition)
    const long = await send(admin, "POST", "/api/groups", { name: "never", permissions: [] }, "x".repeat(129))
    expect(long.status).toBe(400)
    expect(long.body).toMatch(/Idempotency-Key must be 1 to 128 visible ASCII characters/)
    const spaced = await send(admin, "POST", "/api/api-key/generate", { name: "never" }, "has space")
    expect(spaced.status).toBe(400)
    // Also where something else happens before the command: a login, opening (or creating) the vault.
    const session = await fetch(`${server.url}/sessions/`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from("olga:olga-password-123").toString("base64")}`, "idempotency-key": "tab\tinside" }
    })
    expect(session.status).toBe(400)
    const machine = await send(admin, "POST", "/api/v1/machine", machineBody(22), "", { "x-master-password": MASTER_PASSWORD })
    expect(machine.status).toBe(400)
    expect(JSON.parse(machine.body)).toMatchObject({ message: expect.stringMatching(/Idempotency-Key/), data: null })
    expect(await Effect.runPromise(server.store.headPosition)).toBe(head)
    expect((await admin.json("GET", "/api/groups")).body.some((g: { name: string }) => g.name === "never")).toBe(false)
    expect((await admin.json("GET", "/api/api-key/get-all")).body.some((k: { name: string }) => k.name === "never")).toBe(false)
  })

  it("still recognises a retry after the server restarts on the same data dir", async () => {
    const group = { key: `restart-${randomUUID()}`, body: { name: "after_restart", permissions: [] } }
    const user = { key: `restart-${randomUUID()}`, body: { username: "rita", password: "rita-password-123" } }
    const apiKey = { key: `restart-${randomUUID()}`, body: { name: "survivor" } }
    const firstGroup = await send(admin, "POST", "/api/groups", group.body, group.key)
    const firstUser = await send(admin, "POST", "/api/users", user.body, user.key)
    const firstKey = await send(admin, "POST", "/api/api-key/generate", apiKey.body, apiKey.key)
    expect([firstGroup.status, firstUser.status, firstKey.status]).toEqual([201, 201, 200])

    await server.stop()
    server = await startTestServer({ dataDir: dir.path })
    // Tokens outlive the restart (the signing key is in the data dir); only the address changed.
    admin = api(server.url, admin.token, DOMAIN)

    sameAnswer(await send(admin, "POST", "/api/groups", group.body, group.key), firstGroup)
    sameAnswer(await send(admin, "POST", "/api/users", user.body, user.key), firstUser)
    const retriedKey = await send(admin, "POST", "/api/api-key/generate", apiKey.body, apiKey.key)
    sameAnswer(retriedKey, firstKey)
    expect(await eventsWith(group.key)).toHaveLength(1)
    expect(await eventsWith(user.key)).toHaveLength(2)
    expect(await eventsWith(apiKey.key)).toHaveLength(1)
    const token = (JSON.parse(retriedKey.body) as { token: string }).token
    expect((await api(server.url, token, DOMAIN).json("GET", "/api/me")).status).toBe(200)
  })
})
