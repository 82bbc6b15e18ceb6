import { readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/** A flow: entry node `name` → (nodes) → response; ids as the Node-RED editor makes them. */
// A secret in the server's environment, there before Node-RED starts: no flow may read it.
process.env["MH_FLOWS_TEST_SECRET"] = "s3cret-of-the-server"

const flowFile = (name: string, middle: ReadonlyArray<Record<string, unknown>>) => {
  const ids = middle.map((n) => n["id"] as string)
  const chain = [`${name}-in`, ...ids, `${name}-out`]
  const wired = (id: string) => {
    const next = chain[chain.indexOf(id) + 1]
    return next === undefined ? [] : [[next]]
  }
  return [
    { id: "tab1", type: "tab", label: "Flow 1" },
    { id: `${name}-in`, type: "machhub.flow.in", z: "tab1", name, wires: wired(`${name}-in`) },
    ...middle.map((n) => ({ ...n, z: "tab1", wires: wired(n["id"] as string) })),
    { id: `${name}-out`, type: "machhub.flow.response", z: "tab1", wires: [] }
  ]
}

describe("Node-RED flows", () => {
  let server: TestServer
  let admin: Api
  let acme: Api
  let beta: Api
  beforeAll(async () => {
    server = await startTestServer({ flowTimeoutMillis: 1_500 })
    admin = await adminApi(server.url)
    acme = (await seedDomainUser(admin, {
      domain: "acme",
      username: "acme-engineer",
      group: "engineers",
      permissions: [{ feature: "flows", action: "read-write", scope: "domain" }, { feature: "tags", action: "read-write", scope: "domain" }]
    })).api
    beta = (await seedDomainUser(admin, {
      domain: "beta",
      username: "beta-engineer",
      group: "engineers",
      permissions: [{ feature: "flows", action: "read-write", scope: "domain" }, { feature: "tags", action: "read-write", scope: "domain" }]
    })).api
  }, 60_000)
  afterAll(() => server?.dispose())

  it("deploys a flow with an entry, a tag write and a response, executes it, and the value is the tag's", async () => {
    const flows = flowFile("set-speed", [{ id: "write1", type: "machhub.tag.write", topic: "Line1/Speed" }])
    const deployed = await acme.json("POST", "/api/flows", flows)
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200)
    expect(deployed.body).toMatchObject({ success: true, rev: expect.any(String) })
    expect(deployed.headers.get("etag")).toBe('"1"')

    const read = await acme.json("GET", "/api/flows")
    expect(read.body).toEqual({ flows, rev: deployed.body.rev })

    const executed = await acme.json("POST", "/machhub/flow/execute/name/set-speed", { rpm: 1200 })
    expect(executed.status, JSON.stringify(executed.body)).toBe(200)
    expect(executed.body).toEqual({ success: true, msg: { rpm: 1200 } })
    const value = await acme.json("GET", "/machhub/tag/value/Line1/Speed")
    expect(value.body).toMatchObject({ topic: "Line1/Speed", value: { rpm: 1200 } })

    // The deploy is in the log.
    const events = await admin.json("GET", "/api/audit/events?type=FlowsDeployed&domain=acme")
    expect(events.status).toBe(200)
    expect(JSON.stringify(events.body)).toContain("set-speed")
  }, 60_000)

  it("keeps domains apart: same ids in two domains, each flow writes and reads its own domain's tags", async () => {
    // beta deploys the very same file (same node ids) with a read of the tag instead of a write.
    const betaFlows = flowFile("set-speed", [{ id: "write1", type: "machhub.tag.read", topic: "Line1/Speed", subscribe: false }])
    expect((await beta.json("POST", "/api/flows", betaFlows)).status).toBe(200)
    const betaRun = await beta.json("POST", "/machhub/flow/execute/name/set-speed", {})
    expect(betaRun.status).toBe(200)
    // beta's tag Line1/Speed has no value: acme's is not visible.
    expect(betaRun.body).toEqual({ success: true, msg: null })
    expect((await beta.json("GET", "/machhub/tag/value/Line1/Speed")).status).toBe(404)

    // A file naming another domain's runtime ids (acme.<id>) does not reach acme's nodes: beta's entry
    // wired straight into acme's tag write, and a link out aimed at acme's node, write nothing in acme.
    const intruder = [
      { id: "t2", type: "tab", label: "Intruder" },
      { id: "in2", type: "machhub.flow.in", z: "t2", name: "intrude", wires: [["acme.write1", "lo2", "out2"]] },
      { id: "lo2", type: "link out", z: "t2", mode: "link", links: ["acme.write1"], wires: [] },
      { id: "out2", type: "machhub.flow.response", z: "t2", wires: [] }
    ]
    expect((await beta.json("POST", "/api/flows", [...betaFlows, ...intruder])).status).toBe(200)
    expect((await beta.json("POST", "/machhub/flow/execute/name/intrude", "from beta")).body).toEqual({ success: true, msg: "from beta" })
    await new Promise((r) => setTimeout(r, 200))
    expect((await acme.json("GET", "/machhub/tag/value/Line1/Speed")).body.value).toEqual({ rpm: 1200 })

    // acme's flow still runs, unchanged by beta's deploy of the same ids.
    expect((await acme.json("POST", "/machhub/flow/execute/name/set-speed", 7)).body).toEqual({ success: true, msg: 7 })
    expect((await acme.json("GET", "/machhub/tag/value/Line1/Speed")).body).toMatchObject({ value: 7 })
    // Each domain reads back only its own file.
    expect((await acme.json("GET", "/api/flows")).body.flows[2].type).toBe("machhub.tag.write")
    expect((await beta.json("GET", "/api/flows")).body.flows[2].type).toBe("machhub.tag.read")
    // acme's flow is not reachable from beta under another name either.
    expect((await beta.json("POST", "/machhub/flow/execute/name/acme.set-speed", {})).status).toBe(404)
  }, 60_000)

  it("records each execution as a run: RunStarted, a step per node, RunFinished", async () => {
    const executed = await acme.request("POST", "/machhub/flow/execute/name/set-speed", { rpm: 5 })
    expect(executed.status).toBe(200)
    const events = (await admin.inDomain("acme").json("GET", "/api/audit/events?limit=1000")).body.events as Array<{ type: string; stream: string; data: any }>
    const runs = events.filter((e) => e.stream.startsWith("run-acme-"))
    const last = runs[runs.length - 1]!.stream
    const run = runs.filter((e) => e.stream === last)
    expect(run.map((e) => e.type)).toEqual(["RunStarted", "RunStepCompleted", "RunStepCompleted", "RunFinished"])
    expect(run[0]!.data).toMatchObject({ kind: "flow", name: "set-speed", trigger: { type: "http" } })
    // Steps name the nodes as the domain's editor knows them.
    expect(run.slice(1, 3).map((e) => e.data.step)).toEqual(["write1", "set-speed-out"])
    expect(run[3]!.data).toMatchObject({ result: { rpm: 5 } })
  }, 60_000)

  it("record nodes write and read the domain's records; the event trigger sees only its domain's events", async () => {
    const flows = [
      { id: "tab1", type: "tab", label: "Records" },
      { id: "in1", type: "machhub.flow.in", z: "tab1", name: "save-batch", wires: [["rw1"]] },
      { id: "rw1", type: "machhub.record.write", z: "tab1", collection: "batches", wires: [["out1"]] },
      { id: "out1", type: "machhub.flow.response", z: "tab1", wires: [] },
      { id: "ev1", type: "machhub.event", z: "tab1", eventType: "TagDefined", wires: [["rw2"]] },
      { id: "rw2", type: "machhub.record.write", z: "tab1", collection: "seen", wires: [] }
    ]
    expect((await acme.json("POST", "/api/flows", flows)).status).toBe(200)
    const saved = await acme.json("POST", "/machhub/flow/execute/name/save-batch", { lot: "L-17", qty: 40 })
    expect(saved.status, JSON.stringify(saved.body)).toBe(200)
    expect(saved.body.msg).toMatchObject({ lot: "L-17", qty: 40, id: expect.stringMatching(/^acme\.batches:/) })
    const record = await admin.inDomain("acme").json("GET", `/machhub/${saved.body.msg.id}`)
    expect(record.status).toBe(200)
    expect(record.body).toMatchObject({ lot: "L-17", qty: 40 })

    // The collection's schema holds for flows too: the write is refused and no response is reached.
    const schema = { type: "object", properties: { qty: { type: "number" } } }
    expect((await admin.inDomain("acme").json("POST", "/api/collections", { name: "batches", schema })).status).toBeLessThan(300)
    const refused = await acme.request("POST", "/machhub/flow/execute/name/save-batch", { lot: "L-18", qty: "forty" })
    expect(refused.status).toBe(504)
    expect(await refused.text()).toMatch(/node rw1 \(machhub\.record\.write\) failed: field qty: must be number/)

    // A tag defined in beta does not reach acme's event trigger; one defined in acme does.
    expect((await beta.json("PUT", "/api/tags/Beta/Only", { access: "RW" })).status).toBe(200)
    expect((await acme.json("PUT", "/api/tags/Acme/Defined", { access: "RW" })).status).toBe(200)
    let seen: Array<{ topic: string }> = []
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      const list = await admin.inDomain("acme").json("GET", "/machhub/seen/all")
      seen = list.status === 200 ? list.body : []
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 50))
    }
    expect(seen.map((s) => s.topic)).toEqual(["Acme/Defined"])
  }, 60_000)

  it("answers 404 for an unknown flow name and 504 when no response node is reached in time", async () => {
    const unknown = await acme.request("POST", "/machhub/flow/execute/name/nothing-here", {})
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toMatch(/No flow named nothing-here/)

    // An entry wired to nothing never reaches a response node.
    const dangling = [
      { id: "tab1", type: "tab", label: "Flow 1" },
      { id: "in1", type: "machhub.flow.in", z: "tab1", name: "dangling", wires: [[]] }
    ]
    expect((await beta.json("POST", "/api/flows", dangling)).status).toBe(200)
    const timedOut = await beta.request("POST", "/machhub/flow/execute/name/dangling", {})
    expect(timedOut.status).toBe(504)
    expect(await timedOut.text()).toMatch(/did not reach a response node within 1500 ms/)
  }, 60_000)

  it("relays the editor's live connection (/flows/comms) with only the active domain's nodes", async () => {
    const debugFlow = (name: string) => [
      { id: "tab9", type: "tab", label: "Debug" },
      { id: "in9", type: "machhub.flow.in", z: "tab9", name, wires: [["dbg9", "out9"]] },
      { id: "dbg9", type: "debug", z: "tab9", active: true, tosidebar: true, complete: "payload", wires: [] },
      { id: "out9", type: "machhub.flow.response", z: "tab9", wires: [] }
    ]
    expect((await acme.json("POST", "/api/flows", debugFlow("debug-acme"))).status).toBe(200)
    expect((await beta.json("POST", "/api/flows", debugFlow("debug-beta"))).status).toBe(200)

    const refused = new WebSocket(`${server.url.replace("http", "ws")}/flows/comms`)
    const refusedStatus = await new Promise<number>((resolve) => refused.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)))
    expect(refusedStatus).toBe(401)

    const socket = new WebSocket(`${server.url.replace("http", "ws")}/flows/comms`, { headers: { authorization: `Bearer ${acme.token}`, domain: "domains:acme" } })
    const received: Array<{ topic: string; data: any }> = []
    socket.on("message", (data) => {
      const parsed = JSON.parse(String(data))
      received.push(...(Array.isArray(parsed) ? parsed : [parsed]))
    })
    await new Promise((resolve, reject) => {
      socket.on("open", resolve)
      socket.on("error", reject)
    })
    socket.send(JSON.stringify({ subscribe: "debug" }))
    await new Promise((r) => setTimeout(r, 300))
    expect((await beta.json("POST", "/machhub/flow/execute/name/debug-beta", "from beta")).status).toBe(200)
    expect((await acme.json("POST", "/machhub/flow/execute/name/debug-acme", "from acme")).status).toBe(200)
    for (let i = 0; i < 100 && !received.some((m) => m.topic === "debug"); i++) await new Promise((r) => setTimeout(r, 50))
    socket.close()
    const debug = received.filter((m) => m.topic === "debug")
    expect(debug.length).toBe(1)
    expect(debug[0]!.data).toMatchObject({ id: "dbg9", z: "tab9" })
    expect(JSON.stringify(debug[0]!.data)).toContain("from acme")
    expect(JSON.stringify(received)).not.toContain("beta")
  }, 60_000)

  it("refuses flows files that are not one, and function nodes do not run", async () => {
    expect((await acme.json("POST", "/api/flows", { nodes: [] })).status).toBe(400)
    expect((await acme.json("POST", "/api/flows", [{ id: "a", type: "tab" }, { id: "a", type: "tab" }])).status).toBe(400)
    expect((await acme.json("POST", "/api/flows", [42])).status).toBe(400)
    // The core function node (JavaScript in Node's vm, no boundary) is not loaded: such a file is refused,
    // and the flows already deployed keep running.
    const withFunction = await acme.request("POST", "/api/flows", [
      { id: "t", type: "tab" },
      { id: "f", type: "function", z: "t", func: "return process.env", wires: [] }
    ])
    expect(withFunction.status).toBe(400)
    expect(await withFunction.text()).toMatch(/node types this server does not run: function/)
    expect((await beta.json("POST", "/api/flows", [{ id: "t", type: "tab" }, { id: "x", type: "no.such.node", z: "t", wires: [] }])).status).toBe(400)
    expect((await acme.json("POST", "/machhub/flow/execute/name/debug-acme", 1)).body).toEqual({ success: true, msg: 1 })
    const stale = await acme.json("POST", "/api/flows", { flows: [], rev: "not-the-current-one" })
    expect(stale.status).toBe(409)
  })

  it("serves the editor at /flows only to a signed-in user with flows:read-write", async () => {
    expect((await fetch(`${server.url}/flows/`)).status).toBe(401)
    const reader = (await seedDomainUser(admin, {
      domain: "acme",
      username: "acme-reader",
      group: "readers",
      permissions: [{ feature: "flows", action: "read", scope: "domain" }]
    })).api
    expect((await reader.request("GET", "/flows/")).status).toBe(403)

    const page = await acme.request("GET", "/flows/")
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toMatch(/text\/html/)
    const html = await page.text()
    expect(html).toMatch(/Node-RED/)
    // Everything the page and the editor's start-up ask for is served through /flows.
    const assets = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!).filter((a) => !a.startsWith("http") && !a.startsWith("/"))
    const boot = ["settings", "settings/user", "theme", "plugins", "nodes", "locales/editor", "locales/node-red", "icons", "red/keymap.json"]
    expect(assets.length).toBeGreaterThan(3)
    for (const asset of [...assets, ...boot]) {
      const answer = await acme.request("GET", `/flows/${asset}`, undefined, { accept: asset === "nodes" || asset === "plugins" ? "application/json" : "*/*" })
      expect(answer.status, asset).toBe(200)
    }
    expect((await acme.request("GET", "/flows/nodes", undefined, { accept: "text/html" })).status).toBe(200)
    // The browser's way in: the jwt cookie (Domain header absent: the admin domain).
    const byCookie = await fetch(`${server.url}/flows/`, { headers: { cookie: `jwt=${admin.token}` } })
    expect(byCookie.status).toBe(200)
    // The editor's own reads: the palette includes this product's nodes, and only the domain's flows.
    const palette = await acme.request("GET", "/flows/nodes", undefined, { accept: "application/json" })
    expect(palette.status).toBe(200)
    expect(await palette.text()).toContain("machhub.tag.write")
    const editorFlows = await acme.json("GET", "/flows/flows", undefined, { "node-red-api-version": "v2" })
    expect(editorFlows.body.flows.map((n: { id: string }) => n.id)).toContain("in9")
    expect(JSON.stringify(editorFlows.body)).not.toContain("acme.")
    // The editor's deploy: { flows, rev } from the revision it loaded; a stale one is Node-RED's 409.
    const copier = [
      { id: "tab2", type: "tab", label: "Copy" },
      { id: "tr1", type: "machhub.tag.read", z: "tab2", topic: "Line/+/Temp", wires: [["tw2"]] },
      { id: "tw2", type: "machhub.tag.write", z: "tab2", topic: "Copy/Temp", wires: [] }
    ]
    const editorDeploy = await acme.json("POST", "/flows/flows", { flows: copier, rev: editorFlows.body.rev }, { "node-red-api-version": "v2", "node-red-deployment-type": "full" })
    expect(editorDeploy.status, JSON.stringify(editorDeploy.body)).toBe(200)
    expect(editorDeploy.body).toEqual({ rev: expect.any(String) })
    const stale = await acme.json("POST", "/flows/flows", { flows: [], rev: editorFlows.body.rev }, { "node-red-api-version": "v2" })
    expect(stale.status).toBe(409)
    expect(stale.body).toMatchObject({ code: "version_mismatch" })
    // The deployed tag.read subscription feeds the flow: a value on Line/A/Temp is copied.
    expect((await acme.json("POST", "/machhub/tag/Line/A/Temp", { value: 21.5 })).status).toBe(200)
    let copied: any
    for (let i = 0; i < 100; i++) {
      copied = await acme.json("GET", "/machhub/tag/value/Copy/Temp")
      if (copied.status === 200) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(copied.body).toMatchObject({ value: 21.5 })
    // beta's same topic is not acme's.
    expect((await beta.json("POST", "/machhub/tag/Line/B/Temp", { value: 99 })).status).toBe(200)
    await new Promise((r) => setTimeout(r, 200))
    expect((await acme.json("GET", "/machhub/tag/value/Copy/Temp")).body).toMatchObject({ value: 21.5 })
    // Admin API paths that name nodes across domains are not served.
    expect((await acme.request("GET", "/flows/flow/tab1")).status).toBe(404)
    expect((await fetch(`${server.url}/flows`, { headers: { authorization: `Bearer ${acme.token}`, domain: "domains:acme" }, redirect: "manual" })).status).toBe(301)
  }, 60_000)
})

describe("Node-RED flows after a restart", () => {
  it("are rebuilt from the log: the flow deployed before runs again, in its domain", async () => {
    const dir = tempDir()
    try {
      const first = await startTestServer({ dataDir: dir.path })
      const admin = await adminApi(first.url, "machhub_admin")
      const flows = flowFile("echo", [])
      expect((await admin.json("POST", "/api/flows", flows)).status).toBe(200)
      expect((await admin.json("POST", "/machhub/flow/execute/name/echo", "before")).body).toEqual({ success: true, msg: "before" })
      // Node-RED's userDir is in the data dir, owner-only, and holds no flows file: the flows are in the log.
      const userDir = join(dir.path, "node-red")
      expect(statSync(userDir).mode & 0o777).toBe(0o700)
      // (package.json only where Node-RED was first started in this process: a later server takes it over.)
      for (const name of readdirSync(userDir)) expect(["admin.sock", "package.json"]).toContain(name)
      await first.stop()

      const second = await startTestServer({ dataDir: dir.path })
      try {
        const again = await adminApi(second.url, "machhub_admin")
        expect((await again.json("GET", "/api/flows")).body.flows).toEqual(flows)
        expect((await again.json("POST", "/machhub/flow/execute/name/echo", "after")).body).toEqual({ success: true, msg: "after" })
      } finally {
        await second.stop()
      }
    } finally {
      dir.cleanup()
    }
  }, 90_000)
})

describe("Node-RED flows and the server's environment", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  }, 60_000)
  afterAll(() => server?.dispose())

  it("reads none of the server's environment variables, by $env(), an env property or ${VAR}", async () => {
    const admin = await adminApi(server.url)
    const flows = flowFile("peek-env", [{
      id: "peek",
      type: "change",
      rules: [
        { t: "set", p: "payload.jsonata", pt: "msg", to: "$env('MH_FLOWS_TEST_SECRET')", tot: "jsonata" },
        { t: "set", p: "payload.env", pt: "msg", to: "MH_FLOWS_TEST_SECRET", tot: "env" },
        { t: "set", p: "payload.substituted", pt: "msg", to: "${MH_FLOWS_TEST_SECRET}", tot: "str" }
      ]
    }])
    expect((await admin.json("POST", "/api/flows", flows)).status).toBe(200)
    const executed = await admin.json("POST", "/machhub/flow/execute/name/peek-env", {})
    expect(executed.status, JSON.stringify(executed.body)).toBe(200)
    expect(JSON.stringify(executed.body)).not.toContain("s3cret-of-the-server")
  })
})
