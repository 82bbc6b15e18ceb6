import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { eventSubject } from "@machhub/core"
import { connectNats, decodeJson, decodeMsgpack, makeNatsEventBus, MSG_ID_HEADER, type NatsEventBusOptions } from "@machhub/adapters"
import type { Msg } from "@nats-io/transport-node"
import { Effect } from "effect"
import { eventBusContract, makeEvent, subscribeReady, takeEvents } from "../contracts/event-bus.contract.js"
import { describeWithNats, type NatsTestServer, startNatsServer } from "../support/nats-server.js"

describeWithNats("NATS event bus", () => {
  let server: NatsTestServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.dispose()
  })

  // Publisher and subscriber on separate connections, as in separate processes.
  const pair = (publisherOptions: NatsEventBusOptions = {}, subscriberOptions: NatsEventBusOptions = {}) =>
    Effect.gen(function*() {
      const publishing = yield* connectNats({ servers: server.url, name: "test-publish" })
      const subscribing = yield* connectNats({ servers: server.url, name: "test-subscribe" })
      return {
        publisher: makeNatsEventBus(publishing, publisherOptions),
        subscriber: makeNatsEventBus(subscribing, subscriberOptions)
      }
    })

  eventBusContract("NATS (msgpack)", () => pair())
  eventBusContract("NATS (json)", () => pair({ format: "json" }, { format: "json" }))

  /** The first raw message on `subject`, published by `publish` once the subscription is registered. */
  const rawMessage = (url: string, subject: string, publish: Effect.Effect<void, unknown>) =>
    Effect.gen(function*() {
      const client = yield* connectNats({ servers: url })
      const subscription = client.connection.subscribe(subject, { max: 1 })
      yield* Effect.promise(() => client.connection.flush())
      yield* publish
      const messages: Array<Msg> = []
      yield* Effect.promise(async () => {
        for await (const msg of subscription) messages.push(msg)
      }).pipe(Effect.timeout("5 seconds"))
      return messages[0]!
    })

  it.live("publishes on the event's subject with its id in a Nats-Msg-Id header and in the body", () =>
    Effect.gen(function*() {
      const { publisher } = yield* pair()
      const event = makeEvent("acme", "device", "DeviceRenamed", { name: "press 7" })
      const msg = yield* rawMessage(server.url, "mh.evt.>", publisher.publish([event]))
      expect(msg.subject).toBe(eventSubject(event))
      expect(msg.subject).toBe("mh.evt.acme.device.DeviceRenamed")
      expect(msg.headers?.get(MSG_ID_HEADER)).toBe(event.id)
      expect(msg.headers?.get("Content-Type")).toBe("application/msgpack")
      expect(decodeMsgpack(msg.data)).toEqual(event)
    }))

  it.live("publishes plain JSON when configured", () =>
    Effect.gen(function*() {
      const { publisher } = yield* pair({ format: "json" })
      const event = makeEvent("acme", "device", "DeviceRenamed", { name: "press 7" })
      const msg = yield* rawMessage(server.url, "mh.evt.>", publisher.publish([event]))
      expect(msg.headers?.get(MSG_ID_HEADER)).toBe(event.id)
      expect(msg.headers?.get("Content-Type")).toBe("application/json")
      expect(JSON.parse(msg.string())).toEqual(event)
      expect(decodeJson(msg.data)).toEqual(event)
    }))

  it.live("a subscriber reads either format, whatever its own", () =>
    Effect.gen(function*() {
      const jsonPublisher = yield* pair({ format: "json" })
      const msgpackPublisher = yield* pair({ format: "msgpack" })
      const subscriber = jsonPublisher.subscriber // configured msgpack
      const queue = yield* subscribeReady(
        { publisher: jsonPublisher.publisher, subscriber },
        "mh.evt.acme.>",
        () => makeEvent("acme", "probe", "Probed")
      )
      const fromJson = makeEvent("acme", "device", "A")
      const fromMsgpack = makeEvent("acme", "device", "B")
      yield* jsonPublisher.publisher.publish([fromJson])
      yield* msgpackPublisher.publisher.publish([fromMsgpack])
      const received = yield* takeEvents(queue, 2)
      expect(received.map((e) => e.id).sort()).toEqual([fromJson.id, fromMsgpack.id].sort())
    }))

  it.live("skips undecodable messages without ending the subscription", () =>
    Effect.gen(function*() {
      const buses = yield* pair()
      const queue = yield* subscribeReady(buses, "mh.evt.acme.>", () => makeEvent("acme", "probe", "Probed"))
      const raw = yield* connectNats({ servers: server.url })
      raw.connection.publish("mh.evt.acme.device.Garbage", new TextEncoder().encode("not an event"))
      raw.connection.publish("mh.evt.acme.device.Garbage", new Uint8Array([0x81, 0xa1, 0x61, 0x01])) // msgpack { a: 1 }
      yield* Effect.promise(() => raw.connection.flush())
      const event = makeEvent("acme", "device", "AfterGarbage")
      yield* buses.publisher.publish([event])
      expect((yield* takeEvents(queue, 1)).map((e) => e.id)).toEqual([event.id])
    }))
})
