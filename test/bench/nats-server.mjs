// A nats-server for a bench: JetStream on file storage in a temp dir, on a free loopback port.
import { spawn } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs"
import { createConnection, createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"

/** The nats-server binary, or undefined; the sbin dirs too, where some packages install it off PATH. */
export const findNatsServer = () => {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"]) {
    if (dir === "") continue
    try {
      accessSync(join(dir, "nats-server"), constants.X_OK)
      return join(dir, "nats-server")
    } catch {
      // not here
    }
  }
  return undefined
}

export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

// The port being open is not enough: nats-server is ready once it sends its INFO line.
const greets = (port) =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once("data", (data) => done(data.toString("utf8").startsWith("INFO")))
    socket.once("error", () => done(false))
  })

/**
 * Starts `bin`; resolves with `{ url, pid, stop }` once it greets, and with `messages()` too when
 * `monitor` is set (it then also opens nats-server's HTTP monitoring port). `stop()` stops it with
 * `stopChild` (default: SIGKILL) and removes the dir, and so its streams. `track` sees the child as
 * soon as it is spawned, so a caller can kill it on the way out even if the start fails.
 */
export const startNatsServer = async (bin, {
  dirPrefix = "machhub-bench-nats-",
  monitor = false,
  track = (child) => child,
  stopChild = (child) => child.kill("SIGKILL")
} = {}) => {
  const port = await freePort()
  const monitorPort = monitor ? await freePort() : undefined
  const dir = mkdtempSync(join(tmpdir(), dirPrefix))
  const monitorArgs = monitorPort === undefined ? [] : ["-m", String(monitorPort)]
  const child = track(spawn(bin, ["-a", "127.0.0.1", "-p", String(port), ...monitorArgs, "-js", "-sd", dir], { stdio: "ignore" }))
  const stop = async () => {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
  for (let i = 0; i < 300; i++) {
    if (await greets(port)) {
      return {
        url: `nats://127.0.0.1:${port}`,
        pid: child.pid,
        ...(monitorPort === undefined ? {} : {
          /** Messages the server has received from and delivered to clients so far. */
          messages: async () => {
            const varz = await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()
            return { in: varz.in_msgs, out: varz.out_msgs }
          }
        }),
        stop
      }
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  await stop()
  throw new Error("nats-server did not start within 15 s")
}
