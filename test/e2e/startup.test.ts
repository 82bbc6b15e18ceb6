import { statSync } from "node:fs"
import { join } from "node:path"
import { loadConfig, startServer, type RunningServer } from "@machhub/server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ADMIN_PASSWORD, postJson } from "../support/server.js"
import { tempDir } from "../support/temp.js"

const modeOf = (path: string): number => statSync(path).mode & 0o777

describe("a fresh start: readiness and the data directory's permissions", () => {
  const parent = tempDir()
  // A data dir that does not exist yet, so the server creates it.
  const dataDir = join(parent.path, "fresh", "data")
  let server: RunningServer
  let url: string
  const logins: Array<number> = []
  let readyAfterPolls = 0

  beforeAll(async () => {
    const previousUmask = process.umask(0o022)
    try {
      server = await startServer({
        // The default password cost makes creating the admin take a while: the window under test.
        ...loadConfig({}),
        host: "127.0.0.1",
        port: 0,
        adminPassword: ADMIN_PASSWORD,
        dataDir
      })
    } finally {
      process.umask(previousUmask)
    }
    url = `http://127.0.0.1:${server.port}`
    // Until /readyz says 200, log in as the admin over and over, as an eager client would.
    for (;;) {
      const ready = await fetch(`${url}/readyz`)
      if (ready.status === 200) break
      expect(ready.status).toBe(503)
      readyAfterPolls++
      const login = await postJson(`${url}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })
      logins.push(login.status)
      if (login.status === 503) expect(login.headers.get("retry-after")).toBe("1")
    }
  }, 60_000)
  afterAll(async () => {
    await server.stop()
    parent.cleanup()
  })

  it("says ready only once a login can succeed, and refuses logins with 503 before, not 401", async () => {
    // Each login tried before readiness was told to retry (or, when the admin appeared between the two
    // requests, succeeded): none failed, so none counted against the throttle.
    expect(logins.filter((status) => status !== 503 && status !== 200)).toEqual([])
    expect(logins.filter((status) => status === 503).length).toBeGreaterThan(0)
    const login = await postJson(`${url}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })
    expect(login.status).toBe(200)
    console.log(`startup: ${readyAfterPolls} /readyz answers of 503 before ready, ${logins.length} logins answered 503`)
  })

  it("creates the data directory and every database file owner-only, whatever the umask", () => {
    expect(modeOf(dataDir)).toBe(0o700)
    expect(modeOf(join(dataDir, "keys"))).toBe(0o700)
    for (const file of ["events.db", "events.db-wal", "events.db-shm", "readmodels.db", "readmodels.db-wal", "readmodels.db-shm", "machhub.lock"]) {
      expect({ file, mode: modeOf(join(dataDir, file)).toString(8) }).toEqual({ file, mode: "600" })
    }
  })
})
