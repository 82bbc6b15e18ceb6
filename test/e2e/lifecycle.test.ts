import Database from "better-sqlite3"
import { createPublicKey } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { jwtVerify } from "jose"
import { afterEach, describe, expect, it } from "vitest"
import { spawnServer, waitForLogin, type ServerProcess } from "../support/serverProcess.js"
import { tempDir } from "../support/temp.js"

describe("server process lifecycle", () => {
  const cleanups: Array<() => void> = []
  const running: Array<ServerProcess> = []
  afterEach(() => {
    for (const server of running.splice(0)) server.child.kill("SIGKILL")
    for (const cleanup of cleanups.splice(0)) cleanup()
  })
  const start = async (env: Record<string, string>) => {
    const server = await spawnServer(env)
    running.push(server)
    return server
  }

  it("prints a generated admin password once, and the data (and tokens) survive a restart", async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const first = await start({ MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: "" })
    const printed = await (async () => {
      for (let i = 0; i < 200; i++) {
        const match = /generated password:\s+(\S+)/.exec(first.output())
        if (match) return match[1]!
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`no generated password printed:\n${first.output()}`)
    })()
    const token = await waitForLogin(first.url, "admin", printed)
    first.child.kill("SIGTERM")
    expect(await first.exited).toBe(0)

    const second = await start({ MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: "ignored-now" })
    await waitForLogin(second.url, "admin", printed)
    expect(second.output()).not.toContain("generated password")
    // The signing key lives in the data dir: a token from before the restart still verifies.
    const publicKey = createPublicKey(readFileSync(join(dir.path, "keys", "token-signing.pem"), "utf8"))
    const { payload } = await jwtVerify(token, publicKey, { issuer: "machhub", audience: "machhub" })
    expect(payload["username"]).toBe("admin")
    second.child.kill("SIGTERM")
    expect(await second.exited).toBe(0)

    const db = new Database(join(dir.path, "events.db"), { readonly: true })
    const types = db.prepare("SELECT type FROM events ORDER BY position").all().map((row) => (row as { type: string }).type)
    db.close()
    expect(types).toEqual(["DomainCreated", "UsernameClaimed", "UserRegistered", "LoginSucceeded", "LoginSucceeded"])
    // The generated password appears nowhere in the data dir.
    const files = ["events.db", "readmodels.db"].map((f) => readFileSync(join(dir.path, f)).toString("latin1")).join("")
    expect(files).not.toContain(printed)
  })

  it("on SIGTERM stops accepting, finishes in-flight requests, flushes the store and exits 0", async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const server = await start({ MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: "pw-for-shutdown", MACHHUB_PASSWORD_COST: "14" })
    await waitForLogin(server.url, "admin", "pw-for-shutdown")
    const inFlight = Array.from({ length: 20 }, () =>
      fetch(`${server.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: "pw-for-shutdown" })
      }).then((r) => r.status, () => "connection error"))
    await new Promise((r) => setTimeout(r, 30))
    const signalledAt = Date.now()
    server.child.kill("SIGTERM")
    const statuses = await Promise.all(inFlight)
    const code = await server.exited
    expect(code).toBe(0)
    expect(Date.now() - signalledAt).toBeLessThan(10_000)
    // Requests already received were answered; none was cut off mid-way.
    const answered = statuses.filter((s) => s === 200).length
    expect(statuses.every((s) => s === 200 || s === 503 || s === "connection error")).toBe(true)
    expect(answered).toBeGreaterThan(0)
    const db = new Database(join(dir.path, "events.db"), { readonly: true })
    const succeeded = (db.prepare("SELECT count(*) AS n FROM events WHERE type = 'LoginSucceeded'").get() as { n: number }).n
    db.close()
    // Every 200 was acknowledged only after its event was committed: all of them are in the log.
    expect(succeeded).toBe(answered + 1)
    expect(server.output()).toContain("SIGTERM received")
  })
})
