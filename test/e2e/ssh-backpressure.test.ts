import { readFileSync } from "node:fs"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, seedDomainUser, type Api } from "../support/api.js"
import { connect, createMachine, machineBody } from "../support/machines.js"
import { spawnServer, waitForLogin, type ServerProcess } from "../support/serverProcess.js"
import { BULK_END, BULK_START, PATTERN, startSshTarget, type SshTarget } from "../support/ssh-target.mjs"
import { tempDir } from "../support/temp.js"

const ADMIN_PASSWORD = "backpressure-admin-password"
const TOTAL = 50 * 1024 * 1024
const MiB = 1024 * 1024

/** Resident set size of a process, from /proc (Linux). */
const rssOf = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return match === null ? 0 : Number(match[1]) * 1024
}

/**
 * Checks a terminal stream on the fly: everything up to BULK-START, then exactly `total` bytes of the
 * cyclic PATTERN, in order, then BULK-END. Nothing is kept but a few bytes of carry.
 */
const bulkChecker = (total: number) => {
  let phase: "head" | "payload" | "tail" = "head"
  let carry: Buffer = Buffer.alloc(0)
  let offset = 0
  let mismatchAt = -1
  return {
    push(chunk: Buffer) {
      let data: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
      carry = Buffer.alloc(0)
      if (phase === "head") {
        const at = data.indexOf(BULK_START)
        if (at < 0) {
          carry = data.subarray(Math.max(0, data.length - BULK_START.length))
          return
        }
        phase = "payload"
        data = data.subarray(at + BULK_START.length)
      }
      if (phase === "payload") {
        const take = Math.min(data.length, total - offset)
        for (let i = 0; i < take;) {
          const at = (offset + i) % PATTERN.length
          const size = Math.min(take - i, PATTERN.length - at)
          if (mismatchAt < 0 && !data.subarray(i, i + size).equals(PATTERN.subarray(at, at + size))) mismatchAt = offset + i
          i += size
        }
        offset += take
        if (offset < total) return
        phase = "tail"
        data = data.subarray(take)
      }
      carry = data
    },
    received: () => offset,
    mismatchAt: () => mismatchAt,
    ended: () => phase === "tail" && carry.toString().startsWith(BULK_END)
  }
}

describe("terminal backpressure", () => {
  let target: SshTarget
  let server: ServerProcess
  let dir: ReturnType<typeof tempDir>
  let alice: Api
  beforeAll(async () => {
    target = await startSshTarget({ username: "tester", password: "ssh-password-1" })
    dir = tempDir()
    server = await spawnServer({ MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD })
    const admin = api(server.url, await waitForLogin(server.url, "admin", ADMIN_PASSWORD))
    alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: [{ feature: "machines", action: "read-write", scope: "self" }] })).api
  })
  afterAll(async () => {
    server.child.kill("SIGTERM")
    await server.exited
    await target.close()
    dir.cleanup()
  })

  it("delivers 50 MB complete and in order to a slow reader while the server's memory stays bounded", async () => {
    const ticket = await connect(alice, await createMachine(alice, machineBody(target.port)))
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/ssh?uuid=${ticket}`, { headers: { authorization: `Bearer ${alice.token}` } })
    await new Promise((resolve, reject) => {
      ws.once("open", resolve)
      ws.once("error", reject)
    })
    const checker = bulkChecker(TOTAL)
    // A deliberately slow reader: after every 512 KiB it stops reading from its socket for 20 ms
    // (at most ~25 MB/s), so the server must hold back rather than buffer the machine's output.
    let sinceRest = 0
    const done = new Promise<void>((resolve, reject) => {
      ws.on("message", (data: Buffer, binary) => {
        if (!binary) return
        checker.push(data)
        if (checker.ended()) return resolve()
        sinceRest += data.length
        if (sinceRest >= 512 * 1024) {
          sinceRest = 0
          ws.pause()
          setTimeout(() => ws.resume(), 20)
        }
      })
      ws.on("close", () => reject(new Error(`socket closed after ${checker.received()} bytes`)))
    })
    const baseline = rssOf(server.child.pid!)
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(server.child.pid!))
    }, 25)
    const started = Date.now()
    ws.send(Buffer.from(`bulk ${TOTAL}\r`), { binary: true })
    try {
      await done
    } finally {
      clearInterval(sampler)
    }
    const seconds = (Date.now() - started) / 1000
    expect(checker.mismatchAt()).toBe(-1)
    expect(checker.received()).toBe(TOTAL)
    ws.close()

    // The server logs what each session moved and how much the socket ever buffered.
    let summary: { bytesOut: number; peakBufferedBytes: number; pauses: number } | undefined
    for (let i = 0; i < 200 && summary === undefined; i++) {
      const line = server.output().split("\n").find((l) => l.includes('"terminal session ended"'))
      if (line !== undefined) summary = JSON.parse(line)
      else await new Promise((r) => setTimeout(r, 25))
    }
    console.log(
      `50 MiB in ${seconds.toFixed(1)} s to a slow reader: ${summary?.pauses} pauses, peak buffered ${((summary?.peakBufferedBytes ?? 0) / 1024).toFixed(0)} KiB; ` +
        `server RSS ${(baseline / MiB).toFixed(0)} MiB -> peak ${(peak / MiB).toFixed(0)} MiB`
    )
    expect(summary!.bytesOut).toBeGreaterThan(TOTAL)
    // Backpressure did the work: the output was paused again and again, and uWS never held more than
    // the high-water mark (1 MiB) plus the chunk that crossed it.
    expect(summary!.pauses).toBeGreaterThan(10)
    expect(summary!.peakBufferedBytes).toBeLessThan(1.25 * MiB)
    // RSS, generously: it also moves with garbage awaiting collection (~50 MB of buffers allocated
    // per pass: decryption, recording, encoding) and with the event store's cache of recent events,
    // which keeps the recorded output of the last events in memory. Nothing here grows with the
    // 50 MiB beyond that.
    expect(peak - baseline).toBeLessThan(160 * MiB)
  }, 120_000)
})
