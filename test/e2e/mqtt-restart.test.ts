import { afterAll, describe, expect, it, vi } from "vitest"
import { adminApi } from "../support/api.js"
import { collect, connectMqtt, until, type MqttClient } from "../support/mqtt.js"
import { rawRequest, statusOf } from "../support/rawHttp.js"
import { startTestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

describe("MQTT across restarts and without a broker", () => {
  const clients: Array<MqttClient> = []
  afterAll(() => {
    for (const client of clients) client.end(true)
  })

  it("keeps retained values (written over MQTT and over HTTP) across a restart of the server", async () => {
    const dir = tempDir()
    try {
      let server = await startTestServer({ dataDir: dir.path, mqttPort: 0 })
      let admin = await adminApi(server.url)
      expect((await admin.json("POST", "/api/domains", { name: "plant" })).status).toBe(201)
      const issued = await admin.inDomain("plant").json("POST", "/api/api-key/generate", { name: "device", features: [{ name: "tags", action: "read-write", scope: "domain" }] })
      const key = issued.body.token as string
      const wsUrl = () => `ws://127.0.0.1:${server.port}/mqtt`
      const writer = await connectMqtt(wsUrl(), { protocolVersion: 5, username: "mch_developer_key", password: key }, clients)
      await writer.publishAsync("line/speed", "12", { qos: 1, retain: true })
      expect((await admin.inDomain("plant").json("POST", "/machhub/tag/line/state", { value: "running" })).status).toBe(200)
      // The HTTP value reaches the broker on the server's own connection: seen before stopping.
      const check = await connectMqtt(wsUrl(), { protocolVersion: 5, username: "mch_developer_key", password: key }, clients)
      const seen = collect(check)
      await check.subscribeAsync("line/#", { qos: 1 })
      await until(() => seen.length === 2, "both retained values before the restart")
      writer.end(true)
      check.end(true)
      await server.stop()

      server = await startTestServer({ dataDir: dir.path, mqttPort: 0 })
      admin = await adminApi(server.url)
      const reader = await connectMqtt(wsUrl(), { protocolVersion: 4, username: "mch_developer_key", password: key }, clients)
      const messages = collect(reader)
      await reader.subscribeAsync("line/#", { qos: 1 })
      await until(() => messages.length === 2, "both retained values after the restart")
      expect(messages.map((m) => [m.topic, m.payload, m.retain]).sort()).toEqual([["line/speed", "12", true], ["line/state", "running", true]])
      await server.stop()
    } finally {
      dir.cleanup()
    }
  })

  it("starts without MQTT when the broker cannot run, says so once, and reports the listeners disabled", async () => {
    const warnings: Array<string> = []
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk))
      return true
    })
    let server
    try {
      server = await startTestServer({ mqttPort: 0, mosquittoBinary: "/nonexistent/mosquitto" })
    } finally {
      spy.mockRestore()
    }
    try {
      const mqttLines = warnings.filter((line) => line.includes("MQTT"))
      expect(mqttLines).toHaveLength(1)
      expect(JSON.parse(mqttLines[0]!)).toMatchObject({ level: "warn", message: "MQTT is off: the broker could not be started" })
      const admin = await adminApi(server.url)
      const info = await admin.json("GET", "/machhub/")
      expect(info.body.uns.bind.mqtt.enabled).toBe(false)
      expect(info.body.uns.bind.ws.enabled).toBe(false)
      const raw = await rawRequest(
        server.port,
        "GET /mqtt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
      )
      expect(statusOf(raw)).not.toBe(101)
      // Everything else works.
      expect((await admin.json("GET", "/api/me")).status).toBe(200)
    } finally {
      await server.dispose()
    }
  })
})
