import { createRequire } from "node:module"
import { describe, expect, it } from "vitest"

const require = createRequire(import.meta.url)

/**
 * npm 11 may skip dependency install scripts it was not told to allow; these checks make a fresh CI
 * machine fail loudly if a native module did not build or load.
 */
describe("native modules", () => {
  it("better-sqlite3 is built and opens a database", () => {
    const Database = require("better-sqlite3") as typeof import("better-sqlite3")
    const db = new Database(":memory:")
    expect((db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v).toMatch(/^3\./)
    db.close()
  })

  it("uWebSockets.js loads its native binary for this Node.js", async () => {
    // The package has no JavaScript fallback: it loads uws_<platform>_<arch>_<ABI>.node or throws.
    const uws = (await import("uWebSockets.js")) as unknown as Record<string, unknown>
    expect(typeof uws["App"]).toBe("function")
    expect(typeof uws["us_socket_local_port"]).toBe("function")
  })

  it("ssh2 loads with its native crypto binding (and cpu-features, which picks its ciphers)", () => {
    const ssh2 = require("ssh2") as typeof import("ssh2")
    expect(typeof ssh2.Client).toBe("function")
    const crypto = require("ssh2/lib/protocol/crypto.js") as { bindingAvailable: boolean }
    expect(crypto.bindingAvailable).toBe(true)
    const cpuFeatures = require("cpu-features") as () => { arch: string }
    expect(typeof cpuFeatures().arch).toBe("string")
  })

  it("msgpackr uses its native extension", () => {
    const msgpackr = require("msgpackr") as { isNativeAccelerationEnabled: boolean }
    expect(msgpackr.isNativeAccelerationEnabled).toBe(true)
  })
})
