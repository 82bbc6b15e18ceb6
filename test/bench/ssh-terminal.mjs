// Terminal figures: bulk output MB/s and keystroke round trips, over a direct ssh2 connection and
// through the server's /ssh WebSocket, against the same SSH machine in the same run.
//
//   import { benchTerminal } from "./ssh-terminal.mjs"
//   await benchTerminal({ url, token, host, port, username, password })
//   // => { bulk: { direct, socket } in MB/s, keys: { direct: { p50, p99 }, socket: { p50, p99 } } in µs }
import { performance } from "node:perf_hooks"
import ssh2 from "ssh2"
import WebSocket from "ws"

const MASTER_PASSWORD = "bench master password"
const encoder = new TextEncoder()

/** A terminal either way: write bytes, get every chunk of output. */
const directTerminal = (machine) =>
  new Promise((resolve, reject) => {
    const client = new ssh2.Client()
    client.on("error", reject)
    client.on("ready", () => {
      client.shell({ cols: 80, rows: 24, term: "xterm-256color" }, (error, channel) => {
        if (error) return reject(error)
        resolve({
          write: (bytes) => channel.write(bytes),
          onData: (listener) => channel.on("data", listener),
          offData: (listener) => channel.off("data", listener),
          close: () => client.end()
        })
      })
    })
    client.connect({ host: machine.host, port: machine.port, username: machine.username, password: machine.password })
    client.setNoDelay(true) // as the server does: the comparison is like for like
  })

const socketTerminal = async (url, token, machineId) => {
  const connected = await fetch(`${url}/api/v1/machine/${machineId}/connect`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ password: MASTER_PASSWORD })
  })
  if (connected.status !== 200) throw new Error(`connect answered ${connected.status}: ${await connected.text()}`)
  const ticket = (await connected.json()).data
  const ws = new WebSocket(`${url.replace("http", "ws")}/ssh?uuid=${ticket}`, { headers: { authorization: `Bearer ${token}` } })
  const listeners = new Set()
  // Output that arrives while nobody listens (the prompt, possibly in the same read as the upgrade
  // answer, so the handler is attached before "open") waits here, as it would in a paused ssh2
  // channel on the direct side.
  let backlog = []
  ws.on("message", (data, binary) => {
    if (!binary) return
    if (listeners.size === 0) backlog.push(data)
    for (const listener of listeners) listener(data)
  })
  await new Promise((resolve, reject) => {
    ws.once("open", resolve)
    ws.once("error", reject)
  })
  return {
    write: (bytes) => ws.send(bytes, { binary: true }),
    onData: (listener) => {
      listeners.add(listener)
      const waiting = backlog
      backlog = []
      for (const chunk of waiting) listener(chunk)
    },
    offData: (listener) => listeners.delete(listener),
    close: () => ws.close(),
    closed: new Promise((resolve) => ws.once("close", resolve))
  }
}

/**
 * Resolves once the output ends with `marker` (a prompt or the bulk's end line): only the last bytes
 * are looked at, so the reader costs the same little per chunk on both sides of the comparison.
 */
const waitFor = (terminal, marker) =>
  new Promise((resolve) => {
    const needle = Buffer.from(marker, "latin1")
    const keep = needle.length + 16
    let tail = Buffer.alloc(0)
    const listener = (chunk) => {
      tail = chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([tail, chunk]).subarray(-keep)
      if (tail.includes(needle)) {
        terminal.offData(listener)
        resolve()
      }
    }
    terminal.onData(listener)
  })

const bulk = async (terminal, bytes) => {
  const done = waitFor(terminal, "BULK-END")
  const started = performance.now()
  terminal.write(encoder.encode(`bulk ${bytes}\r`))
  await done
  return bytes / 1e6 / ((performance.now() - started) / 1000)
}

/**
 * A terminal at its prompt. The edge now and then drops a fresh /ssh socket before its first byte
 * (see openAtPrompt in test/support/terminalClient.ts): such a terminal is opened again, up to three
 * times, rather than waited on forever.
 */
const atPrompt = async (open) => {
  for (let attempt = 1; ; attempt++) {
    const terminal = await open()
    let timer
    const outcome = await Promise.race([
      waitFor(terminal, "$ ").then(() => "prompt"),
      (terminal.closed ?? new Promise(() => {})).then(() => "closed"),
      new Promise((resolve) => (timer = setTimeout(() => resolve("timed out"), 10_000)))
    ])
    clearTimeout(timer)
    if (outcome === "prompt") return terminal
    terminal.close()
    if (attempt >= 3) throw new Error(`the terminal ${outcome} before its prompt, ${attempt} times`)
  }
}

/** One byte out, its echo back, one at a time: the latency of a keystroke. */
const keystrokes = async (terminal, count, warmup) => {
  const samples = []
  for (let i = 0; i < warmup + count; i++) {
    const key = encoder.encode(String.fromCharCode(97 + (i % 26)))
    const echoed = new Promise((resolve) => {
      const listener = () => {
        terminal.offData(listener)
        resolve()
      }
      terminal.onData(listener)
    })
    const started = performance.now()
    terminal.write(key)
    await echoed
    if (i >= warmup) samples.push((performance.now() - started) * 1000)
  }
  samples.sort((a, b) => a - b)
  return { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export const benchTerminal = async ({ url, token, host, port, username, password, megabytes = 100, rounds = 3, keys = 2000 }) => {
  const created = await fetch(`${url}/api/v1/machine`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-master-password": MASTER_PASSWORD },
    body: JSON.stringify({ name: "bench", hostname: host, port: String(port), username, password })
  })
  if (created.status !== 200) throw new Error(`creating the machine answered ${created.status}: ${await created.text()}`)
  const machineId = Number(created.headers.get("location").split("/").pop())
  const machine = { host, port, username, password }
  const open = { direct: () => directTerminal(machine), socket: () => socketTerminal(url, token, machineId) }

  const results = { bulk: { direct: [], socket: [] }, keys: {} }
  for (const kind of ["direct", "socket"]) {
    const terminal = await atPrompt(open[kind])
    results.keys[kind] = await keystrokes(terminal, keys, 200)
    terminal.close()
  }
  // Alternating rounds, so drift in the machine's load affects both sides alike.
  for (let round = 0; round < rounds; round++) {
    for (const kind of ["direct", "socket"]) {
      const terminal = await atPrompt(open[kind])
      results.bulk[kind].push(await bulk(terminal, megabytes * 1e6))
      terminal.close()
    }
  }
  return {
    bulk: { direct: median(results.bulk.direct), socket: median(results.bulk.socket) },
    keys: results.keys
  }
}
