import { afterAll, beforeAll, expect, it } from "vitest"
import { loginAs } from "../support/api.js"
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster.js"
import { describeWithManagedNats } from "../support/nats-server.js"
import { ADMIN_PASSWORD } from "../support/server.js"

/**
 * kill -9 of one of three nodes under write load. Each write carries its own Idempotency-Key, so a
 * writer that cannot tell whether a write happened (connection cut by the kill, 5xx, a command lost
 * with the dead node's actors) retries the same request on another node: the log must end up with
 * every acknowledged write exactly once and no record created twice.
 */

const WRITERS = 6
const WRITE_FOR_MS = 3_000
const KILL_AFTER_MS = 1_500
/** Above the command bus's 10 s request timeout: a command lost with the dead node answers 504 (outcome unknown) by then. */
const REQUEST_TIMEOUT_MS = 12_000
const MAX_ATTEMPTS = 6
const TABLE = "telemetry"

interface Ack {
  readonly marker: string
  readonly id: string
  readonly node: string
  readonly at: number
  readonly attempts: number
}

describeWithManagedNats("kill -9 of one node of three under write load", () => {
  let cluster: Cluster
  let token: string
  /** Records the log held after the load, for the restart below. */
  let createdCount = 0
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, streamName: "DIST_KILL" })
    token = await loginAs(cluster.nodes[0]!.url, "admin", ADMIN_PASSWORD)
  }, 60_000)
  afterAll(async () => {
    await cluster?.dispose()
  })

  /** One POST; a connection error (node dead, or killed mid-request) answers 0. */
  const post = async (node: ClusterNode, marker: string): Promise<{ status: number; id?: string }> => {
    try {
      const response = await fetch(`${node.url}/machhub/${TABLE}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": `key-${marker}` },
        body: JSON.stringify({ marker }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
      const text = await response.text()
      return response.status === 201 ? { status: 201, id: (JSON.parse(text) as { id: string }).id } : { status: response.status }
    } catch {
      return { status: 0 }
    }
  }

  it("the survivors keep serving, and the log holds every acknowledged write exactly once", async () => {
    const nodes = cluster.nodes
    const victim = nodes[1]!
    const acks: Array<Ack> = []
    /** Answers other than 201/5xx/connection errors: none expected. */
    const unexpected: Array<string> = []
    let next = 0
    const started = Date.now()
    let killedAt = Number.POSITIVE_INFINITY

    const writer = async (w: number) => {
      for (let n = 0; Date.now() - started < WRITE_FOR_MS; n++) {
        const marker = `w${w}-${n}`
        // Round robin over all three nodes, the dead one included: like a client behind a load
        // balancer that has not noticed yet. A failed attempt moves on to the next node.
        let node = next++ % nodes.length
        for (let attempt = 1; ; attempt++) {
          const answer = await post(nodes[node]!, marker)
          if (answer.status === 201) {
            acks.push({ marker, id: answer.id!, node: nodes[node]!.name, at: Date.now(), attempts: attempt })
            break
          }
          if (answer.status !== 0 && answer.status < 500) {
            unexpected.push(`${marker} on ${nodes[node]!.name}: ${answer.status}`)
            break
          }
          if (attempt >= MAX_ATTEMPTS) {
            unexpected.push(`${marker}: gave up after ${attempt} attempts (last ${answer.status})`)
            break
          }
          node = (node + 1) % nodes.length
        }
      }
    }

    const killer = (async () => {
      await new Promise((r) => setTimeout(r, KILL_AFTER_MS))
      await cluster.kill(victim)
      killedAt = Date.now()
    })()
    await Promise.all([...Array.from({ length: WRITERS }, (_, w) => writer(w)), killer])

    expect(unexpected).toEqual([])
    expect(acks.filter((ack) => ack.at < killedAt).length).toBeGreaterThan(0)
    // Writes kept being acknowledged after the kill, by the survivors only.
    const afterKill = acks.filter((ack) => ack.at > killedAt)
    expect(afterKill.length).toBeGreaterThan(0)

    const survivors = nodes.filter((node) => node !== victim)
    for (const node of survivors) {
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200)
      const fresh = await post(node, `after-${node.name}`)
      expect(fresh.status).toBe(201)
      acks.push({ marker: `after-${node.name}`, id: fresh.id!, node: node.name, at: Date.now(), attempts: 1 })
    }

    // Replay the log itself, independently of every node's read model.
    const created = (await cluster.readLog())
      .filter((event) => event.type === "RecordCreated" && (event.data as { table: string }).table === TABLE)
      .map((event) => event.data as { id: string; data: { marker: string } })
    const byId = new Map<string, number>()
    const byMarker = new Map<string, number>()
    for (const event of created) {
      byId.set(event.id, (byId.get(event.id) ?? 0) + 1)
      byMarker.set(event.data.marker, (byMarker.get(event.data.marker) ?? 0) + 1)
    }
    // No record created twice, no write applied twice.
    expect([...byId].filter(([, count]) => count > 1)).toEqual([])
    expect([...byMarker].filter(([, count]) => count > 1)).toEqual([])
    // Every acknowledged write is there exactly once, under the id it was acknowledged with.
    const idOf = new Map(created.map((event) => [event.data.marker, `machhub_admin.${TABLE}:${event.id}`]))
    expect(acks.filter((ack) => byMarker.get(ack.marker) !== 1 || idOf.get(ack.marker) !== ack.id)).toEqual([])
    // Every created record was acknowledged: each writer retried until it got an answer.
    expect(created.length).toBe(acks.length)
    createdCount = created.length

    // Both survivors' read models converge on the log.
    for (const node of survivors) {
      const deadline = Date.now() + 10_000
      let count: unknown
      for (;;) {
        const response = await fetch(`${node.url}/machhub/${TABLE}/count`, { headers: { authorization: `Bearer ${token}` } })
        count = await response.json()
        if ((count as { count: number }).count === created.length || Date.now() > deadline) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(count).toEqual({ count: created.length })
    }
  }, 90_000)

  it("the killed node restarts on its own data dir and, once ready, serves every record", async () => {
    const victim = cluster.nodes[1]!
    expect(victim.process).toBeUndefined()
    // Its lock is held by a dead process, which a restart takes over; its read model resumes from
    // its own checkpoint, and ready means caught up with the log as it stood at the start.
    await cluster.restart(victim)
    const count = await fetch(`${victim.url}/machhub/${TABLE}/count`, { headers: { authorization: `Bearer ${token}` } })
    expect(await count.json()).toEqual({ count: createdCount })
    expect((await post(victim, "after-restart")).status).toBe(201)
  }, 60_000)
})
