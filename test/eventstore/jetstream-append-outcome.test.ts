import { createConnection, createServer, type Server, type Socket } from "node:net"
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { makeJetStreamEventStore } from "@machhub/adapters"
import { EventStoreUnavailable, uuidv7, type NewEvent } from "@machhub/core"
import { describeWithNats, startNatsServer, type NatsTestServer } from "../support/nats-server.js"

/**
 * Whether a failed JetStream append may have been stored. A TCP relay between the store and a real
 * nats-server lets the test drop what the server sends back: the publish reaches the stream, its
 * acknowledgement never comes. Such a failure must say its outcome is unknown; one the server
 * answered (no stream listens on the subject) must not.
 */

/** Relays connections to `port`; `silence()` drops everything the server sends from then on. */
const relay = async (port: number) => {
  let silent = false
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port })
    sockets.add(client).add(upstream)
    client.on("data", (chunk) => upstream.write(chunk))
    upstream.on("data", (chunk) => {
      if (!silent) client.write(chunk)
    })
    const close = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on("error", close).on("close", close)
    upstream.on("error", close).on("close", close)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return {
    url: `nats://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`,
    silence: () => {
      silent = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        if (server.listening) server.close(() => resolve())
        else resolve()
      })
  }
}

const event = (): NewEvent => ({
  id: uuidv7(),
  type: "Probed",
  data: { n: 1 },
  meta: { domain: "acme", actor: { kind: "system", id: "test" }, correlationId: uuidv7(), causationId: null, commandId: null, at: new Date().toISOString() }
})

describeWithNats("a JetStream append's outcome when it fails", () => {
  let nats: NatsTestServer
  beforeAll(async () => {
    nats = await startNatsServer()
  })
  afterAll(async () => {
    await nats?.dispose()
  })

  it("marks an append whose acknowledgement was lost as maybe stored, and it was", async () => {
    const STREAM = "MH_LOST_ACK"
    const through = await relay(Number(new URL(nats.url).port))
    try {
      const failure = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const store = yield* makeJetStreamEventStore({ servers: through.url, streamName: STREAM, subjectPrefix: "lostack", requestTimeoutMs: 500 })
        yield* store.append("probe-acme-1", "no_stream", [event()])
        through.silence()
        const lost = yield* Effect.flip(store.append("probe-acme-2", "no_stream", [event()]))
        // Cut the connection, so that closing the store does not wait on a server that seems mute.
        yield* Effect.promise(() => through.close())
        return lost
      })))
      expect(failure).toBeInstanceOf(EventStoreUnavailable)
      expect((failure as EventStoreUnavailable).outcomeUnknown).toBe(true)
      expect(failure.message).toMatch(/may have been stored/)
      // It was: read directly, without the relay.
      const stored = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const store = yield* makeJetStreamEventStore({ servers: nats.url, streamName: STREAM, subjectPrefix: "lostack" })
        return yield* store.readStream("probe-acme-2")
      })))
      expect(stored).toHaveLength(1)
    } finally {
      await through.close()
    }
  })

  it("does not mark an append the server refused (no stream for its subject)", async () => {
    const STREAM = "MH_REFUSED_APPEND"
    const failure = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeJetStreamEventStore({ servers: nats.url, streamName: STREAM, subjectPrefix: "refused", requestTimeoutMs: 2_000 })
      yield* store.append("probe-acme-1", "no_stream", [event()])
      // The stream goes away under the store: nothing listens on the subject any more.
      yield* Effect.promise(async () => {
        const connection = await connect({ servers: nats.url })
        await (await jetstreamManager(connection)).streams.delete(STREAM)
        await connection.close()
      })
      return yield* Effect.flip(store.append("probe-acme-2", "no_stream", [event()]))
    })))
    expect(failure).toBeInstanceOf(EventStoreUnavailable)
    expect((failure as EventStoreUnavailable).outcomeUnknown).toBeUndefined()
  })
})
