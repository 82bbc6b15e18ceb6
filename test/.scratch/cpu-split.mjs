// scratch: CPU ms per MB per process for direct vs socket bulk
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import ssh2 from "ssh2"
import WebSocket from "ws"
const start = (args, env, ready) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout.on("data", (c) => { out += c; const m = ready.exec(out); if (m) resolve({ child, port: Number(m[1]) }) })
  child.stderr.on("data", (c) => { out += c })
  child.on("exit", () => reject(new Error(out)))
})
const ticks = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10 }
const self = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const dir = mkdtempSync(join(tmpdir(), "sshb-"))
const target = await start(["/work/main/test/bench/ssh-target.mjs"], {}, /listening (\d+)/)
const server = await start([...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : []), "/work/main/apps/server/dist/main.js"], { HOST: "127.0.0.1", PORT: "0", NATS_URL: "", MACHHUB_DATA_DIR: dir, MACHHUB_ADMIN_PASSWORD: "bench-admin-password" }, /listening on http:\/\/[^:]+:(\d+)/)
const url = `http://127.0.0.1:${server.port}`
let token
for (let i = 0; i < 100 && !token; i++) { const r = await fetch(`${url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "bench-admin-password" }) }); if (r.status === 200) token = (await r.json()).tkn; else await new Promise(r => setTimeout(r, 50)) }
const created = await fetch(`${url}/api/v1/machine`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-master-password": "bench master password" }, body: JSON.stringify({ name: "b", hostname: "127.0.0.1", port: String(target.port), username: "bench", password: "bench-ssh-password" }) })
const id = created.headers.get("location").split("/").pop()
const MB = Number(process.env.MB ?? 200)
const measure = async (name, open) => {
  const term = await open()
  await new Promise((r) => { let s = ""; const l = (d) => { s += d; if (s.includes("$ ")) { term.off(l); r() } }; term.on(l) })
  const c0 = [ticks(target.child.pid), ticks(server.child.pid), self()]; const t0 = performance.now()
  await new Promise((r) => { let tail = ""; const l = (d) => { tail = (tail + d.toString("latin1")).slice(-100); if (tail.includes("BULK-END")) { term.off(l); r() } }; term.on(l); term.write(Buffer.from(`bulk ${MB * 1e6}\r`)) })
  const ms = performance.now() - t0; const c1 = [ticks(target.child.pid), ticks(server.child.pid), self()]
  console.log(`${name}: ${(MB / (ms / 1000)).toFixed(0)} MB/s; CPU ms/MB target ${((c1[0] - c0[0]) / MB).toFixed(2)} server ${((c1[1] - c0[1]) / MB).toFixed(2)} client ${((c1[2] - c0[2]) / MB).toFixed(2)}`)
  term.close()
}
const direct = () => new Promise((resolve) => { const c = new ssh2.Client(); c.on("ready", () => c.shell({ cols: 80, rows: 24 }, (e, ch) => resolve({ write: (b) => ch.write(b), on: (l) => ch.on("data", l), off: (l) => ch.off("data", l), close: () => c.end() }))).connect({ host: "127.0.0.1", port: target.port, username: "bench", password: "bench-ssh-password" }); c.setNoDelay(true) })
const socket = async () => {
  const r = await fetch(`${url}/api/v1/machine/${id}/connect`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ password: "bench master password" }) })
  const ticket = (await r.json()).data
  const ws = new WebSocket(`${url.replace("http", "ws")}/ssh?uuid=${ticket}`, { headers: { authorization: `Bearer ${token}` } })
  const ls = new Set(); let backlog = []
  ws.on("message", (d, bin) => { if (!bin) return; if (ls.size === 0) backlog.push(d); for (const l of ls) l(d) })
  await new Promise((r) => ws.once("open", r))
  return { write: (b) => ws.send(b, { binary: true }), on: (l) => { ls.add(l); const b = backlog; backlog = []; for (const x of b) l(x) }, off: (l) => ls.delete(l), close: () => ws.close() }
}
try {
  for (let i = 0; i < Number(process.env.ROUNDS ?? 2); i++) { if (!process.env.SOCKET_ONLY) await measure("direct", direct); await measure("socket", socket) }
} finally { server.child.kill("SIGINT"); await new Promise((r) => setTimeout(r, 2000)); server.child.kill("SIGKILL"); target.child.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }) }
