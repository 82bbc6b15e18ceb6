// A real SSH server for tests and the benchmark: ssh2's Server class on a loopback port with a tiny
// shell on a PTY. It echoes every byte it receives (like a tty in raw-echo mode) and runs a few
// commands when a line ends:
//   stty size      -> "<rows> <cols>" as the PTY currently stands (follows window-change)
//   bulk <bytes>   -> "BULK-START\r\n", <bytes> of PATTERN (cyclic), "BULK-END\r\n", honouring SSH
//                     window backpressure (write() false -> wait for drain)
//   exit           -> ends the shell with status 0
// Plain JavaScript so that `test/bench/run.mjs` can use it as well as the vitest suites.
import { timingSafeEqual } from "node:crypto"
import ssh2 from "ssh2"

const { Server, utils } = ssh2

/** 1 MiB of numbered lines: the bulk output repeats it; a receiver checks every byte against it. */
export const PATTERN = (() => {
  const lines = []
  let size = 0
  for (let i = 0; size < 1024 * 1024; i++) {
    const line = `line ${String(i).padStart(8, "0")} the quick brown fox jumps over the lazy dog 0123456789\n`
    lines.push(line)
    size += line.length
  }
  return Buffer.from(lines.join("")).subarray(0, 1024 * 1024)
})()

export const BULK_START = "BULK-START\r\n"
export const BULK_END = "BULK-END\r\n"
export const PROMPT = "$ "

/**
 * A fresh ed25519 host key. ssh2's generator now and then emits a malformed key (about 1 in 300, as
 * `encryptedKeyPair` in machines.ts notes for its pairs); such a key is generated again, so a test
 * never fails on it when starting its target.
 */
export const generateHostKey = () => {
  for (;;) {
    const key = utils.generateKeyPairSync("ed25519").private
    if (!(utils.parseKey(key) instanceof Error)) return key
  }
}

const same = (a, b) => a.length === b.length && timingSafeEqual(a, b)

const runShell = (stream, pty) => {
  let line = ""
  const write = (text) => stream.write(text)
  const bulk = (total) => {
    write(BULK_START)
    let sent = 0
    const pump = () => {
      while (sent < total) {
        const offset = sent % PATTERN.length
        const size = Math.min(32 * 1024, total - sent, PATTERN.length - offset)
        sent += size
        if (!stream.write(PATTERN.subarray(offset, offset + size))) return void stream.once("drain", pump)
      }
      write(BULK_END + PROMPT)
    }
    pump()
  }
  const run = (command) => {
    const [name, arg] = command.trim().split(/\s+/)
    if (name === "stty" && arg === "size") return write(`${pty.rows} ${pty.cols}\r\n${PROMPT}`)
    if (name === "bulk") return bulk(Number(arg))
    if (name === "exit") {
      stream.exit(0)
      return stream.end()
    }
    write(PROMPT)
  }
  write(PROMPT)
  stream.on("data", (data) => {
    write(data)
    for (const byte of data) {
      if (byte === 13 || byte === 10) {
        const command = line
        line = ""
        if (command.length > 0) {
          write("\r\n")
          run(command)
        }
      } else {
        line += String.fromCharCode(byte)
      }
    }
  })
}

/**
 * Starts the target. Options: `username`, `password` and/or `publicKey` (an OpenSSH public key or a
 * parsed key) it accepts, `hostKey` (a private key; generated when absent), `port` (0 = free one).
 * Returns `{ port, hostKey, connections(), authentications(), active(), close() }`.
 */
export const startSshTarget = async (options = {}) => {
  const hostKey = options.hostKey ?? generateHostKey()
  const allowedKey = options.publicKey === undefined ? undefined : (() => {
    const parsed = utils.parseKey(options.publicKey)
    return Array.isArray(parsed) ? parsed[0] : parsed
  })()
  let connections = 0
  let authentications = 0
  const clients = new Set()
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    connections++
    clients.add(client)
    client.on("close", () => clients.delete(client))
    client.on("error", () => {})
    client.on("authentication", (ctx) => {
      if (ctx.username !== (options.username ?? "tester")) return ctx.reject()
      if (ctx.method === "password" && options.password !== undefined && same(Buffer.from(ctx.password), Buffer.from(options.password))) {
        authentications++
        return ctx.accept()
      }
      if (ctx.method === "publickey" && allowedKey !== undefined && ctx.key.algo === allowedKey.type && same(ctx.key.data, allowedKey.getPublicSSH())) {
        if (ctx.signature === undefined) return ctx.accept() // the client asks whether this key would do
        if (allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
          authentications++
          return ctx.accept()
        }
      }
      ctx.reject(["password", "publickey"])
    })
    client.on("ready", () => {
      client.on("session", (accept) => {
        const session = accept()
        const pty = { cols: 80, rows: 24 }
        session.on("pty", (accept, _reject, info) => {
          pty.cols = info.cols
          pty.rows = info.rows
          accept?.()
        })
        session.on("window-change", (accept, _reject, info) => {
          pty.cols = info.cols
          pty.rows = info.rows
          accept?.()
        })
        session.on("shell", (accept) => runShell(accept(), pty))
      })
    })
  })
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, "127.0.0.1", resolve)
  })
  // Latency matters in the keystroke figures: no Nagle on the server side either.
  server.on("connection", (socket) => socket.setNoDelay(true))
  return {
    port: server.address().port,
    hostKey,
    connections: () => connections,
    authentications: () => authentications,
    active: () => clients.size,
    close: () =>
      new Promise((resolve) => {
        for (const client of clients) client.end()
        server.close(() => resolve())
      })
  }
}
