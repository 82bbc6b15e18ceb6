import { spawn } from "node:child_process"
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MosquittoUnavailable, startMosquitto, type MosquittoBroker } from "@machhub/adapters"
import { connectMqtt, type MqttClient } from "../support/mqtt.js"
import { tempDir } from "../support/temp.js"

const quiet = () => {}

const opened: Array<MqttClient> = []
const connect = (url: string, options: Parameters<typeof connectMqtt>[1]) => connectMqtt(url, options, opened)

describe("the private Mosquitto broker", () => {
  const dir = tempDir()
  let broker: MosquittoBroker
  beforeAll(async () => {
    broker = await startMosquitto({ dataDir: dir.path, log: quiet })
  })
  afterAll(async () => {
    await broker.stop()
    dir.cleanup()
  })

  it("listens on loopback, takes its internal credential and nothing else", async () => {
    const { host, port, username, password } = broker.endpoint()
    expect(host).toBe("127.0.0.1")
    const client = await connect(`mqtt://${host}:${port}`, { username, password, protocolVersion: 5 })
    await client.endAsync()
    await expect(connect(`mqtt://${host}:${port}`, { username, password: "wrong", protocolVersion: 5 })).rejects.toThrow(/Bad User Name or Password|Not authorized/i)
    await expect(connect(`mqtt://${host}:${port}`, { protocolVersion: 4 })).rejects.toThrow(/Not authorized/i)
  })

  it("keeps its files owner-only in the data dir", () => {
    for (const name of ["mosquitto.conf", "passwd"]) {
      expect(statSync(join(dir.path, "mqtt", name)).mode & 0o077, name).toBe(0)
    }
    expect(statSync(join(dir.path, "mqtt")).mode & 0o077).toBe(0)
  })

  it("keeps retained values across a restart", async () => {
    let { host, port, username, password } = broker.endpoint()
    const writer = await connect(`mqtt://${host}:${port}`, { username, password, protocolVersion: 5 })
    await writer.publishAsync("kept/value", "42", { qos: 1, retain: true })
    await writer.endAsync()
    await broker.stop()
    broker = await startMosquitto({ dataDir: dir.path, log: quiet })
    ;({ host, port, username, password } = broker.endpoint())
    const reader = await connect(`mqtt://${host}:${port}`, { username, password, protocolVersion: 5 })
    const received = new Promise<string>((resolve) => reader.on("message", (_topic, payload) => resolve(payload.toString())))
    await reader.subscribeAsync("kept/value", { qos: 1 })
    expect(await received).toBe("42")
    await reader.endAsync()
  })

  it("is started again when it dies, and takes connections again", async () => {
    const before = broker.pid()
    expect(before).toBeGreaterThan(0)
    process.kill(before!, "SIGKILL")
    for (let i = 0; i < 500 && (broker.pid() === undefined || broker.pid() === before); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(broker.pid()).not.toBe(before)
    const { host, port, username, password } = broker.endpoint()
    const client = await connect(`mqtt://${host}:${port}`, { username, password, protocolVersion: 5 })
    await client.endAsync()
  })

  it("stops a broker left running by a server that was killed before starting its own", async () => {
    await broker.stop()
    expect(existsSync(join(dir.path, "mqtt", "mosquitto.pid"))).toBe(false)
    // What a SIGKILLed server leaves: its broker still running on the data dir's config, and its pid file.
    const orphan = spawn("/usr/sbin/mosquitto", ["-c", join(dir.path, "mqtt", "mosquitto.conf")], { stdio: "ignore" })
    const orphanExit = new Promise((resolve) => orphan.once("exit", resolve))
    writeFileSync(join(dir.path, "mqtt", "mosquitto.pid"), `${orphan.pid}\n`)
    // Until the child has become Mosquitto, its command line is still this process's.
    const isMosquitto = () => {
      try {
        return readFileSync(`/proc/${orphan.pid}/cmdline`, "utf8").includes("mosquitto")
      } catch {
        return false
      }
    }
    for (let i = 0; i < 500 && !isMosquitto(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    broker = await startMosquitto({ dataDir: dir.path, log: quiet })
    await orphanExit
    expect(broker.pid()).not.toBe(orphan.pid)
    const { host, port, username, password } = broker.endpoint()
    await (await connect(`mqtt://${host}:${port}`, { username, password, protocolVersion: 5 })).endAsync()
  })

  it("stops when the process that started it is killed outright", async () => {
    const holderDir = tempDir()
    const holder = spawn(fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url)), [fileURLToPath(new URL("../support/mosquittoHolder.ts", import.meta.url)), holderDir.path], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        holder.stdout!.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
        holder.once("exit", () => reject(new Error("the holder exited before starting the broker")))
      })
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("mosquitto")
      // tsx runs the script in a child of its own: kill the process that spawned the broker.
      const owner = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1])
      process.kill(owner, "SIGKILL")
      // Gone, or a zombie nobody reaped yet: either way no longer running.
      const running = () => {
        try {
          return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))
        } catch {
          return false
        }
      }
      for (let i = 0; i < 500 && running(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(running()).toBe(false)
    } finally {
      holder.kill("SIGKILL")
      holderDir.cleanup()
    }
  })

  it("is reported unavailable when its binary is missing", async () => {
    await expect(startMosquitto({ dataDir: dir.path, binary: "/nonexistent/mosquitto", log: quiet })).rejects.toBeInstanceOf(MosquittoUnavailable)
  })
})
