import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { compileCode, defaultSandboxLimits, runSandboxed, type HostApi } from "../../apps/server/src/sandbox/index.js"
import { startTestServer } from "../support/server.js"

/** This process's threads (a sandbox worker is one). */
const threadCount = (): number => readdirSync("/proc/self/task").length

/** Processes whose parent is this one and whose command line names `name`. */
const childrenNamed = (name: string): Array<number> =>
  readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
      return parent === process.pid && state !== "Z" && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(name)
    } catch {
      return false // gone meanwhile
    }
  })

const idleHost: HostApi = {
  tags: { read: async () => null, publish: async () => {} },
  collections: { get: async () => null, list: async () => [], create: async () => null, update: async () => null, delete: async () => null },
  log: () => {}
}

describe("stopping the server stops what its Layers started", () => {
  it("ends its Mosquitto and terminates the sandbox's worker threads", async () => {
    const server = await startTestServer({ sandboxWorkers: 2 })
    let stopped = false
    try {
      // The private broker runs as a child of this process.
      expect(childrenNamed("mosquitto")).toHaveLength(1)
      const code = compileCode("return 1 + 1", "javascript")
      if (!code.ok) throw new Error("test code does not compile")
      const before = threadCount()
      const outcomes = await Promise.all([1, 2].map(() => runSandboxed({ js: code.js, context: {}, host: idleHost, limits: defaultSandboxLimits })))
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true])
      const withWorkers = threadCount()
      expect(withWorkers).toBeGreaterThan(before)

      await server.dispose()
      stopped = true
      expect(childrenNamed("mosquitto")).toEqual([])
      // Every worker the runs started has ended with the server.
      expect(threadCount()).toBeLessThanOrEqual(before)
    } finally {
      if (!stopped) await server.dispose()
    }
  })
})
