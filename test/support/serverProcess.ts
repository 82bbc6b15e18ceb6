import { spawn, type ChildProcess } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const SERVER_MAIN = fileURLToPath(new URL("../../apps/server/dist/main.js", import.meta.url))

export interface ServerProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly port: number
  /** Everything the process printed so far. */
  readonly output: () => string
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>
}

/** Runs the built server (`npm start`'s program) as a child process and waits until it listens. */
export const spawnServer = async (env: Record<string, string>): Promise<ServerProcess> => {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run "npm run build" first (npm test does)`)
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", MACHHUB_PASSWORD_COST: "10", NATS_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000)
    const check = () => {
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout!.on("data", check)
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)))
  })
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => output, exited }
}

/** Polls until the bootstrap admin can log in (the server creates it right after start). */
export const waitForLogin = async (url: string, username: string, password: string): Promise<string> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password })
    })
    if (response.status === 200) return ((await response.json()) as { tkn: string }).tkn
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`could not log in as ${username}`)
}
