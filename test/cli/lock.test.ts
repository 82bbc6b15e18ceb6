import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { SERVER_MAIN, spawnServer } from "../support/serverProcess.js"
import { tempDir } from "../support/temp.js"
import { runCli } from "./cliProcess.js"

/** The data directory's lock between server processes and `machhub replay` (machhub.lock). */
describe("data directory lock", () => {
  const dir = tempDir("machhub-cli-lock-")
  afterAll(() => dir.cleanup())
  const env = { MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: "lock-test-password" }

  it("a running server holds it: replay and a second server are refused; once the server is killed, its stale lock is taken over", async () => {
    const server = await spawnServer(env)
    try {
      const refused = await runCli(["replay", "--data-dir", dir.path])
      expect(refused.code).toBe(3)
      expect(refused.stderr).toContain(`is in use by a running server (pid ${server.child.pid} on`)

      const second = spawn(process.execPath, [SERVER_MAIN], { env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      second.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
      second.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
      const code = await new Promise<number | null>((resolve) => second.on("close", resolve))
      expect(code).not.toBe(0)
      expect(output).toContain("is in use by a running server")
    } finally {
      server.child.kill("SIGKILL")
      await server.exited
    }
    // SIGKILL left the lock file behind, naming a process that no longer exists.
    expect(existsSync(join(dir.path, "machhub.lock"))).toBe(true)
    const replayed = await runCli(["replay", "--data-dir", dir.path])
    expect(replayed.code).toBe(0)
    expect(existsSync(join(dir.path, "machhub.lock"))).toBe(false)
  })
})
