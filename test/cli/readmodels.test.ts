import Database from "better-sqlite3"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, loginAs, seedDomainUser } from "../support/api.js"
import { startTestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"
import { runCli } from "./cliProcess.js"
import { readModelChecksums } from "./readModelChecksums.js"

/**
 * replay and verify against a data directory written by a real server: users, groups, logins, sessions
 * and records created, updated and deleted over HTTP. The server is stopped before the CLI rebuilds.
 */
describe("machhub replay / verify", () => {
  const dir = tempDir("machhub-cli-")
  const readModels = join(dir.path, "readmodels.db")
  let recordId = ""

  beforeAll(async () => {
    const server = await startTestServer({ dataDir: dir.path })
    try {
      const admin = await adminApi(server.url)
      const alice = await seedDomainUser(admin, {
        domain: "acme",
        username: "alice",
        group: "writers",
        permissions: [{ feature: "collections", action: "read-write", scope: "domain" }]
      })
      await loginAs(server.url, "alice", alice.password)
      await loginAs(server.url, "alice", "wrong-password").catch(() => undefined)
      for (let i = 0; i < 20; i++) {
        const created = await alice.api.json("POST", "/machhub/products", { name: `bolt-${i}`, price: i })
        expect(created.status).toBe(201)
        if (i === 0) recordId = created.body.id
        if (i % 3 === 0) expect((await alice.api.json("PUT", `/machhub/${created.body.id}`, { price: i * 10, stock: i })).status).toBe(200)
        if (i % 7 === 6) expect((await alice.api.json("DELETE", `/machhub/${created.body.id}`)).status).toBe(200)
      }
      await alice.api.json("POST", "/machhub/orders", { product: recordId, quantity: 3 })
    } finally {
      await server.stop()
    }
  })
  afterAll(() => dir.cleanup())

  it("replay rebuilds read models identical to the ones the server built, keeping state that is not derived from the log", async () => {
    // State that no projection derives from the log (the NATS publisher keeps its checkpoint here).
    const db = new Database(readModels)
    db.prepare("INSERT INTO projection_checkpoints (name, version, position) VALUES ('event-publisher', 1, 3)").run()
    db.exec("CREATE TABLE outside_state (k TEXT PRIMARY KEY, v TEXT); INSERT INTO outside_state VALUES ('a', 'b')")
    db.close()
    const before = readModelChecksums(readModels)
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["users", "groups", "domains", "sessions", "collections", "record_tables", "outside_state"]))

    const result = await runCli(["replay", "--data-dir", dir.path, "--batch-size", "7"])
    expect(result.stderr).toMatch(/replay: \d+ events up to position \d+ in .* events\/s/)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^replayed \d+ events \(positions 1\.\.\d+\) into \d+ read models/)
    expect(result.stdout).toContain("kept from the previous read models (not derived from the log): projection_checkpoints[event-publisher], table outside_state")

    expect(readModelChecksums(readModels)).toEqual(before)
    expect(existsSync(`${readModels}.replay`)).toBe(false)
    expect(existsSync(join(dir.path, "machhub.lock"))).toBe(false)
  })

  it("verify exits 0 when the read models match the log, 1 naming the row after one is tampered with", async () => {
    const equal = await runCli(["verify", "--data-dir", dir.path])
    expect(equal.stdout).toMatch(/verify: \d+ tables equal to a replay of the log/)
    expect(equal.code).toBe(0)

    const db = new Database(readModels)
    const table = db.prepare<[], { name: string }>("SELECT name FROM record_tables WHERE tbl = 'products'").get()!.name
    const id = recordId.split(":")[1]!
    db.prepare(`UPDATE "${table}" SET data = json_set(data, '$.price', 999) WHERE id = ?`).run(id)
    db.prepare("DELETE FROM users WHERE username = 'alice'").run()
    db.close()

    const tampered = await runCli(["verify", "--data-dir", dir.path])
    expect(tampered.code).toBe(1)
    expect(tampered.stdout).toMatch(new RegExp(`DIFF  ${table} +1 rows differ`))
    expect(tampered.stdout).toContain(`id="${id}": data: live`)
    expect(tampered.stdout).toMatch(/DIFF  users +1 rows differ/)
    expect(tampered.stdout).toMatch(/user_id=".*": missing from the live read models/)
    expect(tampered.stderr).toContain("the read models differ from a replay of the log")

    // A replay repairs them.
    expect((await runCli(["replay", "--data-dir", dir.path])).code).toBe(0)
    expect((await runCli(["verify", "--data-dir", dir.path])).code).toBe(0)
  })

  it("replay refuses (exit 3) while a server holds the data directory; verify still runs next to it", async () => {
    const server = await startTestServer({ dataDir: dir.path })
    try {
      const refused = await runCli(["replay", "--data-dir", dir.path])
      expect(refused.code).toBe(3)
      expect(refused.stderr).toMatch(/refusing to replay: .* is in use by a running server \(pid \d+/)
      const verified = await runCli(["verify", "--data-dir", dir.path])
      expect(verified.code).toBe(0)
    } finally {
      await server.stop()
    }
    // Once the server has stopped, its lock is gone.
    expect((await runCli(["replay", "--data-dir", dir.path])).code).toBe(0)
  })
})
