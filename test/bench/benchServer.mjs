// The built server (apps/server/dist/main.js) in its own process for a bench module: a fresh data
// dir, loopback, a free HTTP port and the bench admin; resolves once it listens and the admin can
// log in. `nodeArgs` lets a run profile it (e.g. ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"]).
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { ADMIN_PASSWORD, waitForAdminLogin } from "./admin.mjs"

const MAIN = fileURLToPath(new URL("../../apps/server/dist/main.js", import.meta.url))

export const startBenchServer = async ({ env = {}, nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean) } = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "machhub-bench-server-"))
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      NATS_URL: "",
      MACHHUB_MQTT_PORT: "0",
      MACHHUB_DATA_DIR: dir,
      MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stderr.on("data", (chunk) => (output = (output + chunk).slice(-8_000)))
  const exited = new Promise((resolve) => child.once("exit", resolve))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const port = await new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        output = (output + chunk).slice(-8_000)
        const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output)
        if (match) resolve(Number(match[1]))
      })
      child.once("exit", (code) => reject(new Error(`the server exited with ${code}:\n${output}`)))
    })
    const url = `http://127.0.0.1:${port}`
    const token = await waitForAdminLogin(url)
    const info = await (await fetch(`${url}/machhub/`, { headers: { authorization: `Bearer ${token}` } })).json()
    return { url, port, token, pid: child.pid, mqttPort: info.uns?.bind?.mqtt?.enabled ? info.uns.bind.mqtt.port : undefined, output: () => output, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** A process's CPU seconds so far (user + system, from /proc): what a figure cost the server, whatever else ran. */
export const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}
