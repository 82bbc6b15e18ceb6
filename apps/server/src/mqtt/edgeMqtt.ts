import type { ServerContext } from "../ServerContext.js"
import { log } from "../log.js"
import { tagDefinitions } from "../tags/definitions/tagDefinitions.js"
import type { TagValue } from "../tags/values/TagValue.js"
import { startMqtt, type RunningMqtt } from "./startMqtt.js"
import { payloadValue, valuePayload } from "./payloadValue.js"
import { startServiceValueRelay } from "./serviceValueRelay.js"

/**
 * MQTT on an edge, joined to the rest of the server: credentials checked by its authenticator, tag
 * access read from the tags read model, and every value a client publishes handed to the tag value
 * pipeline (last value, historian, NATS) with its origin, so that the pipeline does not send it back.
 */
export const startEdgeMqtt = async (context: ServerContext): Promise<RunningMqtt | undefined> => {
  const tags = tagDefinitions(context)
  // The values clients publish in one read of their bytes (thousands from a busy device) go to the
  // pipeline together, once the read is done: one call, one historian write, one NATS round.
  let received: Array<TagValue> = []
  const hand = () => {
    const values = received
    received = []
    try {
      context.tagValues.publish(values, "mqtt")
    } catch (error) {
      log("error", "values published over MQTT could not be recorded", { count: values.length, error: error instanceof Error ? error.message : String(error) })
    }
  }
  const mqtt = await startMqtt({
    config: context.config,
    authenticator: context.authenticator,
    sockets: context.sockets,
    onApplied: context.projections.onApplied,
    ready: context.projections.isReady,
    tagAccess: (domain, topic) => tags.get(domain, topic)?.access,
    autocreate: context.config.tagsAutocreate,
    onPublished: (principal, topic, payload) => {
      const domain = principal.domain
      if (received.length === 0) queueMicrotask(hand)
      received.push({ domain, topic, value: payloadValue(payload), timestamp: Date.now() })
      // Defines the tag on its first value (the broker already has the value; this is bookkeeping).
      if (tags.get(domain, topic) !== undefined) return
      const gate = context.tagWrites(principal, domain, [topic])
      if (gate instanceof Promise) {
        gate.catch((error: unknown) => log("error", "a tag could not be defined from its first MQTT value", { domain, topic, error: String(error) }))
      }
    }
  })
  if (mqtt === undefined) return undefined
  // Values written over HTTP or NATS reach MQTT subscribers too, as retained values (each tag's last
  // value); those that came over MQTT are already there.
  //
  // Which node takes a value in, and who hands it to the broker, so that each value is recorded
  // once on every node and reaches subscribers once:
  // - A client's publish is taken in by the node whose edge the client is connected to (the edge
  //   sees its PUBLISH), never by subscribing to the broker: no node subscribes to the broker for
  //   values, so a value on a shared broker is not taken in again by every node that could see it.
  //   That node records it and puts it on NATS with its origin header; the other nodes record it
  //   from there (or from the JetStream tag value stream), once.
  // - With the private broker (each node its own), a node hands every value it did not get over
  //   MQTT to its broker, those of other nodes included: its clients see every node's values.
  // - With a shared broker (MQTT_URL), a value from NATS is skipped here: another node's value is
  //   on the broker already (its node published it), and a service's value is relayed by one node
  //   of the NATS queue group (serviceValueRelay.ts), not by each.
  const shared = mqtt.sharedBroker
  const unsubscribe = context.tagValues.subscribe((values, origin) => {
    if (origin === "mqtt" || (shared && origin === "nats")) return
    for (const { domain, topic, value } of values) mqtt.publish(domain, topic, valuePayload(value), true)
  })
  const relay = shared ? startServiceValueRelay(context, (domain, topic, payload) => mqtt.publish(domain, topic, payload, true)) : undefined
  return {
    ...mqtt,
    stop: async () => {
      unsubscribe()
      relay?.stop()
      await mqtt.stop()
    }
  }
}
