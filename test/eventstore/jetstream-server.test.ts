import { ConfigError, loadConfig } from "@machhub/server"
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describeWithNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"
import { loginAsAdmin, startTestServer } from "../support/server.js"

describe("MACHHUB_STORE configuration", () => {
  it("jetstream needs NATS_URL, with a clear error", () => {
    expect(() => loadConfig({ MACHHUB_STORE: "jetstream" })).toThrow(ConfigError)
    expect(() => loadConfig({ MACHHUB_STORE: "jetstream" })).toThrow(/MACHHUB_STORE=jetstream needs NATS_URL/)
  })

  it("reads the stream name and replicas, with defaults", () => {
    const config = loadConfig({ MACHHUB_STORE: "jetstream", NATS_URL: "nats://127.0.0.1:4222" })
    expect([config.store, config.jetstreamStream, config.jetstreamReplicas]).toEqual(["jetstream", "MH_EVENTS", 1])
    const custom = loadConfig({
      MACHHUB_STORE: "jetstream",
      NATS_URL: "nats://127.0.0.1:4222",
      MACHHUB_JETSTREAM_STREAM: "EVENTS_B",
      MACHHUB_JETSTREAM_REPLICAS: "3"
    })
    expect([custom.jetstreamStream, custom.jetstreamReplicas]).toEqual(["EVENTS_B", 3])
    expect(() => loadConfig({ MACHHUB_STORE: "jetstream", NATS_URL: "x", MACHHUB_JETSTREAM_REPLICAS: "0" })).toThrow(ConfigError)
    expect(loadConfig({}).store).toBe("sqlite")
  })
})

describeWithNats("the server on the JetStream store", () => {
  let nats: NatsTestServer
  beforeAll(async () => {
    nats = await startNatsServer()
  })
  afterAll(async () => {
    await nats?.dispose()
  })

  it("keeps its events in the JetStream stream, and a second node with a fresh data dir rebuilds from it", async () => {
    const env = { MACHHUB_STORE: "jetstream", NATS_URL: nats.url, MACHHUB_JETSTREAM_STREAM: "SERVER_TEST" }
    const first = await startTestServer({ env })
    let messages = 0
    try {
      await loginAsAdmin(first.url)
      const nc = await connect({ servers: nats.url })
      const info = await (await jetstreamManager(nc)).streams.info("SERVER_TEST")
      await nc.close()
      messages = info.state.messages
      // The bootstrap admin (user, username, group, domain...) and the login, one message per append.
      expect(messages).toBeGreaterThan(3)
      expect(info.config.subjects).toEqual(["mh.es.>"])
    } finally {
      await first.dispose()
    }
    // Another node: its read models start empty and catch up from the log before serving, so the admin
    // created by the first node can log in without being created again.
    const second = await startTestServer({ env })
    try {
      await loginAsAdmin(second.url)
    } finally {
      await second.dispose()
    }
  }, 60_000)
})
