import { afterAll, beforeAll, expect, it } from "vitest"
import type { RecordedEvent } from "@machhub/core"
import { api, loginAs, type Api } from "../support/api.js"
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster.js"
import { describeWithManagedNats } from "../support/nats-server.js"
import { ADMIN_PASSWORD } from "../support/server.js"

/**
 * Three server processes, each with its own data dir (read model + the shared keys), on one JetStream
 * log: every node serves every request, optimistic concurrency holds across nodes, and a node started
 * later serves the older data as soon as it says it is ready.
 */

/**
 * Another node's read model follows the log a few ms behind the node that answered a write (only the
 * answering node waits for it, SPEC §1 read-your-writes); reads elsewhere poll, bounded, unless they
 * send the write's App-Event-Position.
 */
const eventually = async <T>(what: string, attempt: () => Promise<T | undefined>, timeoutMillis = 5_000): Promise<T> => {
  const deadline = Date.now() + timeoutMillis
  for (;;) {
    const value = await attempt()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMillis} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The record as `node` answers it once its version reached `version`. */
const readOn = (client: Api, id: string, version: number) =>
  eventually(`${id} at version ${version} on ${client.baseUrl}`, async () => {
    const read = await client.json("GET", `/machhub/${id}`)
    return read.status === 200 && read.body._meta.version >= version ? read.body : undefined
  })

const recordEvents = (log: ReadonlyArray<RecordedEvent>, type: string, id: string) =>
  log.filter((event) => event.type === type && `machhub_admin.${(event.data as { table: string }).table}:${(event.data as { id: string }).id}` === id)

describeWithManagedNats("a cluster of three server processes on one JetStream log", () => {
  let cluster: Cluster
  let nodes: ReadonlyArray<ClusterNode>
  /** Minted by node A; valid on every node because they share the signing key. */
  let token: string
  const as = (node: ClusterNode, credential = token) => api(node.url, credential)
  /** Issued by node A. */
  let apiKey: string
  /** Every record written so far, with its last known version: what a late node must serve. */
  const written = new Map<string, number>()

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, streamName: "DIST_CLUSTER" })
    nodes = cluster.nodes
    token = await loginAs(nodes[0]!.url, "admin", ADMIN_PASSWORD)
  }, 60_000)
  afterAll(async () => {
    await cluster?.dispose()
  })

  it("any node serves any request: write on A, read on B and C, log in on C, update on B", async () => {
    const [a, b, c] = [nodes[0]!, nodes[1]!, nodes[2]!]
    expect((await as(a).json("POST", "/api/collections", { name: "parts", access: { owner: "domain" } })).status).toBe(201)
    const created = await as(a).json("POST", "/machhub/parts", { name: "bolt", size: "m8" })
    expect(created.status).toBe(201)
    expect(created.headers.get("etag")).toBe('"1"')
    const id: string = created.body.id

    // A's token works on B and C: they verify it with the shared key and know the user from the log.
    for (const node of [b, c]) {
      expect(await readOn(as(node), id, 1)).toEqual(created.body.record)
      const me = await as(node).json("GET", "/api/me")
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({ kind: "user", domain: "machhub_admin" })
    }

    // A token minted by C is accepted by A.
    const fromC = await loginAs(c.url, "admin", ADMIN_PASSWORD)
    expect((await as(a, fromC).json("GET", "/api/me")).status).toBe(200)

    // An API key issued on A works on B and C: they hash it with the shared HMAC secret and find it
    // in their read models once they applied its issue.
    const key = await as(a).json("POST", "/api/api-key/generate", { name: "reader", features: [{ name: "collections", action: "read", scope: "domain" }] })
    expect(key.status).toBe(200)
    apiKey = key.body.token
    for (const node of [b, c]) expect(await readOn(api(node.url, apiKey, undefined, "x-api-key"), id, 1)).toEqual(created.body.record)

    // Update on B with C's token; B answers with the new version, and its own next read sees it.
    const updated = await as(b, fromC).json("PUT", `/machhub/${id}`, { size: "m10" }, { "If-Match": '"1"' })
    expect(updated.status).toBe(200)
    expect(updated.headers.get("etag")).toBe('"2"')
    expect(Number(updated.headers.get("app-event-position"))).toBeGreaterThan(Number(created.headers.get("app-event-position")))
    const onB = await as(b).json("GET", `/machhub/${id}`)
    expect(onB.body).toMatchObject({ name: "bolt", size: "m10", _meta: { version: 2 } })
    // A and C follow: a read carrying the write's App-Event-Position is answered once they applied it,
    // with no polling.
    const position = updated.headers.get("app-event-position")!
    for (const node of [a, c]) {
      const read = await as(node).json("GET", `/machhub/${id}`, undefined, { "App-Event-Position": position })
      expect(read.body).toEqual(onB.body)
    }
    written.set(id, 2)
  })

  it("of concurrent If-Match updates spread over the nodes exactly one wins, the others get 412", async () => {
    const racers = 6
    const rounds = 3
    for (let round = 0; round < rounds; round++) {
      // A fresh record per round, raced on at versions 1 to 4: from the third race on, some nodes'
      // actors sat out earlier races and hold an older state, which they must not refuse on
      // (actor-cache.test.ts has the two-process case on its own).
      const created = await as(nodes[round % 3]!).json("POST", "/machhub/parts", { name: `race-${round}`, winner: null })
      expect(created.status).toBe(201)
      const id: string = created.body.id
      // Successive races on the record, each at the version the previous one produced.
      for (const version of [1, 2, 3, 4]) {
        const answers = await Promise.all(Array.from({ length: racers }, async (_, racer) => {
          const response = await as(nodes[racer % 3]!).json("PUT", `/machhub/${id}`, { winner: `${version}-${racer}` }, { "If-Match": `"${version}"` })
          return { racer, status: response.status, etag: response.headers.get("etag") }
        }))
        const won = answers.filter((answer) => answer.status >= 200 && answer.status < 300)
        expect(won, JSON.stringify(answers)).toHaveLength(1)
        expect(won[0]!.etag).toBe(`"${version + 1}"`)
        expect(answers.filter((answer) => answer.status === 412), JSON.stringify(answers)).toHaveLength(racers - 1)

        // The log, replayed independently of every node, holds exactly the winner's update at that version.
        const updates = recordEvents(await cluster.readLog(), "RecordUpdated", id)
        const atVersion = updates.filter((event) => event.version === version + 1)
        expect(atVersion).toHaveLength(1)
        expect(updates).toHaveLength(version)
        expect((atVersion[0]!.data as { changes: unknown }).changes).toEqual({ winner: `${version}-${won[0]!.racer}` })
      }
      // Every node converges on the last winner.
      const last = recordEvents(await cluster.readLog(), "RecordUpdated", id).at(-1)!
      for (const node of nodes) {
        expect(await readOn(as(node), id, 5)).toMatchObject({ ...(last.data as { changes: object }).changes, _meta: { version: 5 } })
      }
      written.set(id, 5)
    }
  })

  it("a node with keys of its own refuses the others' tokens and API keys: keys/ must be shared", async () => {
    const stranger = await cluster.addNode({ shareKeys: false })
    try {
      await cluster.waitReady(stranger)
      const refused = await as(stranger).json("GET", "/api/me")
      expect(refused.status).toBe(401)
      expect(refused.body).toMatch(/signature/)
      expect((await api(stranger.url, apiKey, undefined, "x-api-key").json("GET", "/api/me")).status).toBe(401)
      // Its own tokens work there (same users, from the log), but nowhere else.
      const own = await loginAs(stranger.url, "admin", ADMIN_PASSWORD)
      expect((await as(stranger, own).json("GET", "/api/me")).status).toBe(200)
      expect((await as(nodes[0]!, own).json("GET", "/api/me")).status).toBe(401)
    } finally {
      await cluster.kill(stranger)
    }
  })

  it("a node started after the writes serves them as soon as /readyz says 200", async () => {
    const late = await cluster.addNode()
    // It listens before its read model caught up: /readyz is 503 until then (or already 200).
    expect([200, 503]).toContain((await fetch(`${late.url}/readyz`)).status)
    await cluster.waitReady(late)
    // No polling from here on: ready means caught up with the log as it stood at its start.
    const client = as(late)
    for (const [id, version] of written) {
      const read = await client.json("GET", `/machhub/${id}`)
      expect(read.status, id).toBe(200)
      expect(read.body._meta.version, id).toBe(version)
    }
    const count = await client.json("GET", "/machhub/parts/count")
    expect(count.body).toEqual({ count: written.size })
    // And it takes writes like the others.
    expect((await client.json("POST", "/machhub/parts", { name: "late" })).status).toBe(201)
  })
})
