import { execFileSync, spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmpdir } from "node:os"

export const hasWrk = () => spawnSync("wrk", ["--version"]).error === undefined

const unit = { us: 1e-3, ms: 1, s: 1000 }
const millis = (text) => {
  const match = /([\d.]+)(us|ms|s)/.exec(text)
  return match ? Number(match[1]) * unit[match[2]] : NaN
}

/**
 * Runs wrk (one thread, like the figures in ARCHITECTURE.md) and returns requests/s, p50 and p99
 * latency in ms, and the count of non-2xx answers.
 */
export const runWrk = ({ url, connections = 64, seconds = 5, method = "GET", body, headers = {}, timeoutSeconds = 2, lua }) => {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSeconds}s`, "--latency"]
  if (method !== "GET" || body !== undefined || Object.keys(headers).length > 0 || lua !== undefined) {
    const script = join(tmpdir(), `wrk-${process.pid}-${Date.now()}.lua`)
    const lines = [`wrk.method = ${JSON.stringify(method)}`]
    if (body !== undefined) lines.push(`wrk.body = ${JSON.stringify(body)}`)
    for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    if (lua !== undefined) lines.push(lua)
    writeFileSync(script, lines.join("\n") + "\n")
    args.push("-s", script)
  }
  args.push(url)
  const output = execFileSync("wrk", args, { encoding: "utf8" })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1])
  const p50 = millis(/\s50%\s+(\S+)/.exec(output)?.[1] ?? "")
  const p99 = millis(/\s99%\s+(\S+)/.exec(output)?.[1] ?? "")
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0)
  const timeouts = Number(/timeout (\d+)/.exec(output)?.[1] ?? 0)
  return { rps, p50, p99, non2xx, timeouts }
}
