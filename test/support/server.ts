import { loadConfig, startServer, type RunningServer, type ServerConfig } from "@machhub/server"
import { tempDir } from "./temp.js"

export const ADMIN_PASSWORD = "correct horse battery staple"

export interface TestServer extends RunningServer {
  readonly url: string
  readonly dataDir: string
  /** Stops the server and removes its data directory. */
  readonly dispose: () => Promise<void>
}

/**
 * Starts the real server in this process on a free port with a fresh data dir (or the given one),
 * a cheap password hash cost, and a known admin password; waits until the admin exists.
 */
export const startTestServer = async (overrides: Partial<ServerConfig> & { env?: Record<string, string> } = {}): Promise<TestServer> => {
  const dir = overrides.dataDir === undefined ? tempDir() : undefined
  const config: ServerConfig = {
    // MQTT over TCP on a free port: the machine's own broker holds 1883.
    ...loadConfig({ MACHHUB_PASSWORD_COST: "10", MACHHUB_MQTT_PORT: "0", ...overrides.env }),
    host: "127.0.0.1",
    port: 0,
    adminPassword: ADMIN_PASSWORD,
    dataDir: dir?.path ?? overrides.dataDir!,
    ...overrides
  }
  const server = await startServer(config)
  await server.bootstrapped
  return {
    ...server,
    url: `http://127.0.0.1:${server.port}`,
    dataDir: config.dataDir,
    dispose: async () => {
      await server.stop()
      dir?.cleanup()
    }
  }
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

export const loginAsAdmin = async (baseUrl: string): Promise<string> => {
  const response = await postJson(`${baseUrl}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })
  if (response.status !== 200) throw new Error(`admin login failed: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { tkn: string }).tkn
}
