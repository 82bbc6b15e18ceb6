import { describe, expect, it } from "vitest"
import { loadConfig } from "@machhub/server"

/** MQTT_URL, the external broker of distributed mode: read at start, refused with a message naming it. */
describe("MQTT_URL", () => {
  it("is absent unless set: each node runs its private broker", () => {
    expect(loadConfig({}).mqttUrl).toBeUndefined()
    expect(loadConfig({ MQTT_URL: " " }).mqttUrl).toBeUndefined()
  })

  it("names host, port and the credentials the edge connects upstream with", () => {
    expect(loadConfig({ MQTT_URL: "mqtt://127.0.0.1" }).mqttUrl).toEqual({
      host: "127.0.0.1", port: 1883, tls: false, username: undefined, password: undefined, shown: "mqtt://127.0.0.1"
    })
    expect(loadConfig({ MQTT_URL: "mqtts://edge:p%40ss@broker.example:8884/" }).mqttUrl).toEqual({
      host: "broker.example", port: 8884, tls: true, username: "edge", password: "p@ss", shown: "mqtts://edge:***@broker.example:8884"
    })
    expect(loadConfig({ MQTT_URL: "mqtt://[::1]:1999" }).mqttUrl).toMatchObject({ host: "::1", port: 1999 })
  })

  it.each([
    ["broker:1883", /MQTT_URL must be mqtt:\/\/.*the scheme broker is not mqtt/],
    ["http://broker", /MQTT_URL must be .*the scheme http is not mqtt or mqtts/],
    ["ws://broker/mqtt", /MQTT_URL must be .*the scheme ws is not/],
    ["mqtt://broker/topic", /MQTT_URL must be .*no path/],
    ["mqtt://broker?x=1", /MQTT_URL must be .*no query/],
    ["mqtt://broker:99999", /MQTT_URL must be .*not a URL/],
    ["mqtt://:secret@broker", /MQTT_URL must be .*a password needs a user name/]
  ])("refuses %s with a message naming MQTT_URL", (raw, message) => {
    expect(() => loadConfig({ MQTT_URL: raw })).toThrow(message)
  })

  it("never repeats the password of a URL it refuses", () => {
    let message = ""
    try {
      loadConfig({ MQTT_URL: "mqtt://edge:hunter2@broker/path" })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/MQTT_URL/)
    expect(message).toContain("edge:***@broker")
    expect(message).not.toContain("hunter2")
  })
})
