import { afterAll, beforeAll, expect, it } from "vitest"
import { api, loginAs } from "../support/api.js"
import { startCluster, type Cluster } from "../support/cluster.js"
import { describeWithManagedNats } from "../support/nats-server.js"
import { ADMIN_PASSWORD } from "../support/server.js"

describeWithManagedNats("stale", () => {
  let cluster: Cluster
  let token: string
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, streamName: "DIST_SCRATCH" })
    token = await loginAs(cluster.nodes[0]!.url, "admin", ADMIN_PASSWORD)
  }, 60_000)
  afterAll(async () => { await cluster?.dispose() })
  it("sequential If-Match updates with the current version", async () => {
    const a = api(cluster.nodes[0]!.url, token)
    const created = await a.json("POST", "/machhub/parts", { n: 0 })
    const id = created.body.id
    let version = 1
    const log: Array<string> = []
    for (let i = 1; i <= 20; i++) {
      const client = api(cluster.nodes[i % 3]!.url, token)
      const r = await client.json("PUT", `/machhub/${id}`, { n: i }, { "If-Match": `"${version}"` })
      log.push(`${i}: If-Match ${version} -> ${r.status} ${r.headers.get("etag")} ${r.status === 412 ? r.body : ""}`)
      if (r.status === 200) version = Number(JSON.parse(r.headers.get("etag")!))
    }
    console.log(log.join("\n"))
    const events = (await cluster.readLog()).filter((e) => e.type === "RecordUpdated")
    console.log("updates in log", events.length, "final version", version)
  }, 60_000)
})
