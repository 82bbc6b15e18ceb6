import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConfigError, loadConfig } from "@machhub/server"
import { adminApi, api, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

const VERSION = (JSON.parse(readFileSync(new URL("../../apps/server/package.json", import.meta.url), "utf8")) as { version: string }).version

describe("GET /machhub/: the device and its MQTT bind info", () => {
  let server: TestServer
  let admin: Api
  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_DEVICE_NAME: "edge-01", MACHHUB_MQTT_PORT: "18830", MACHHUB_MQTTS_PORT: "18883" } })
    admin = await adminApi(server.url)
  })
  afterAll(() => server.dispose())

  it("answers the device name, every listener (enabled when it runs; the TLS ones belong to a proxy), the store and the version", async () => {
    const answer = await admin.json("GET", "/machhub/")
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      device_name: "edge-01",
      uns: {
        basePath: "",
        bind: {
          mqtt: { host: "127.0.0.1", port: 18830, enabled: true },
          mqtts: { host: "127.0.0.1", port: 18883, enabled: false },
          // MQTT over WebSocket is the /mqtt path of the HTTP listener.
          ws: { host: "127.0.0.1", port: server.port, enabled: true },
          wss: { host: "127.0.0.1", port: server.port, enabled: false }
        }
      },
      storage: { store: "sqlite" },
      version: VERSION
    })
  })

  it("answers the same without the trailing slash and at /machhub/info, the SDK's getInfo path", async () => {
    const slash = await admin.json("GET", "/machhub/")
    for (const path of ["/machhub", "/machhub/info"]) {
      const answer = await admin.json("GET", path)
      expect(answer.status, path).toBe(200)
      expect(answer.body, path).toEqual(slash.body)
    }
  })

  it("takes the SDK's developer key and a domain user's token, whatever their permissions", async () => {
    const generated = await admin.json("POST", "/api/api-key/generate", { name: "info-key", features: [{ name: "collections", action: "read", scope: "self" }] })
    expect(generated.status).toBe(200)
    const key = api(server.url, generated.body.token, "machhub_admin", "x-api-key")
    const byKey = await key.json("GET", "/machhub/", undefined, { "x-machhub-runtime-id": "" })
    expect(byKey.status).toBe(200)
    expect(byKey.body.device_name).toBe("edge-01")

    const { api: user } = await seedDomainUser(admin, { domain: "infoacme", username: "info-user" })
    const byUser = await user.json("GET", "/machhub/")
    expect(byUser.status).toBe(200)
    expect(byUser.body.uns.bind.mqtt.port).toBe(18830)
  })

  it("refuses a caller without a credential (401) and a Domain the caller is not a member of (403)", async () => {
    const anonymous = await fetch(`${server.url}/machhub/`, { headers: { domain: "domains:machhub_admin" } })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get("content-type")).toMatch(/^text\/plain/)
    const { api: user } = await seedDomainUser(admin, { domain: "infoother", username: "info-outsider" })
    const foreign = await user.inDomain("machhub_admin").request("GET", "/machhub/")
    expect(foreign.status).toBe(403)
  })

  it("is in the API document", async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> }
    expect(document.paths["/machhub"]?.["get"]).toBeDefined()
    expect(document.paths["/machhub/info"]?.["get"]).toBeDefined()
  })
})

describe("configuration read by GET /machhub/ and the CORS edge", () => {
  it("defaults: the host name, MQTT on 1883 and 8883, no CORS origin", () => {
    const config = loadConfig({})
    expect(config.deviceName).toBe(hostname())
    expect(config.mqttPort).toBe(1883)
    expect(config.mqttsPort).toBe(8883)
    expect(config.corsOrigins).toEqual([])
  })

  it("reads exact origins, comma-separated, and refuses what a browser never sends as Origin", () => {
    expect(loadConfig({ MACHHUB_CORS_ORIGINS: " https://a.example.com ,http://localhost:5173,https://a.example.com" }).corsOrigins)
      .toEqual(["https://a.example.com", "http://localhost:5173"])
    const refused = (value: string) => () => loadConfig({ MACHHUB_CORS_ORIGINS: value })
    expect(refused("*")).toThrow(ConfigError)
    expect(refused("*")).toThrow(/wildcards are not allowed/)
    expect(refused("https://*.example.com")).toThrow(/wildcards/)
    expect(refused("https://a.example.com/")).toThrow(/write it as the browser sends it: https:\/\/a\.example\.com/)
    expect(refused("https://a.example.com/app")).toThrow(/https:\/\/a\.example\.com/)
    expect(refused("HTTPS://A.example.com")).toThrow(/https:\/\/a\.example\.com/)
    expect(refused("https://a.example.com:443")).toThrow(/https:\/\/a\.example\.com/)
    expect(refused("a.example.com")).toThrow(/not an http\(s\) origin/)
    expect(refused("file:///tmp")).toThrow(/not an http\(s\) origin/)
  })

  it("refuses an MQTT port out of range", () => {
    expect(() => loadConfig({ MACHHUB_MQTT_PORT: "70000" })).toThrow(/MACHHUB_MQTT_PORT must be an integer between 0 and 65535/)
    expect(() => loadConfig({ MACHHUB_MQTTS_PORT: "x" })).toThrow(/MACHHUB_MQTTS_PORT/)
  })
})
