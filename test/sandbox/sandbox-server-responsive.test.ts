import { monitorEventLoopDelay } from "node:perf_hooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { compileCode, SandboxPool, type HostApi } from "../../apps/server/src/sandbox/index.js"
import { startTestServer, type TestServer } from "../support/server.js"

const idleHost: HostApi = {
  tags: { read: async () => null, publish: async () => {} },
  collections: {
    get: async () => null,
    list: async () => [],
    create: async () => null,
    update: async () => null,
    delete: async () => null
  },
  log: () => {}
}

let server: TestServer
const pool = new SandboxPool({ workers: 2 })
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await pool.close()
  await server?.dispose()
})

describe("a runaway run does not hold up the server", () => {
  it("keeps answering requests while code loops and allocates until its limits stop it", async () => {
    const loop = compileCode("while (true) {}", "javascript")
    const grow = compileCode("const kept = []; for (;;) { kept.push(new Uint8Array(64 * 1024)); for (let i = 0; i < 1e4; i++); }", "javascript")
    if (!loop.ok || !grow.ok) throw new Error("test code does not compile")

    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const runs = Promise.all([
      pool.run({ js: loop.js, context: {}, host: idleHost, limits: { memoryBytes: 64 * 1024 * 1024, cpuMillis: 2_000 } }),
      pool.run({ js: grow.js, context: {}, host: idleHost, limits: { memoryBytes: 64 * 1024 * 1024, cpuMillis: 2_000 } })
    ])
    let settled = false
    void runs.finally(() => {
      settled = true
    })

    // While both workers are busy, the server (in this process) answers every request.
    let answered = 0
    while (!settled) {
      const response = await fetch(`${server.url}/healthz`)
      expect(response.status).toBe(200)
      await response.arrayBuffer()
      answered++
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    delay.disable()

    const [looped, grew] = await runs
    expect(looped).toMatchObject({ ok: false, reason: "CPU time limit exceeded (2000 ms)" })
    expect(grew.ok).toBe(false)
    expect(grew.ok ? "" : grew.reason).toMatch(/^(memory limit exceeded \(64 MiB\)|CPU time limit exceeded \(2000 ms\))$/)
    expect(answered).toBeGreaterThan(10)
    // A bound, not a figure: the event loop was never held up for anything like the run's length.
    expect(delay.max / 1e6).toBeLessThan(1_000)
  })
})
