import { makeTagsReadModel } from "@machhub/projections"
import type { ServerContext } from "../ServerContext.js"
import { log } from "../log.js"
import { startMqtt, type RunningMqtt } from "./startMqtt.js"
import { payloadValue, valuePayload } from "./payloadValue.js"

/**
 * MQTT on an edge, joined to the rest of the server: credentials checked by its authenticator, tag
 * access read from the tags read model, and every value a client publishes handed to the tag value
 * pipeline (last value, historian, NATS) with its origin, so that the pipeline does not send it back.
 */
export const startEdgeMqtt = async (context: ServerContext): Promise<RunningMqtt | undefined> => {
  const tags = makeTagsReadModel(context.readModels, context.projections.onApplied)
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
      context.tagValues.publish([{ domain, topic, value: payloadValue(payload), timestamp: Date.now() }], "mqtt")
      // Defines the tag on its first value (the broker already has the value; this is bookkeeping).
      const gate = context.tagWrites(principal, domain, [topic])
      if (gate instanceof Promise) {
        gate.catch((error: unknown) => log("error", "a tag could not be defined from its first MQTT value", { domain, topic, error: String(error) }))
      }
    }
  })
  if (mqtt === undefined) return undefined
  // Values written over HTTP or NATS reach MQTT subscribers too, as retained values (each tag's last
  // value); those that came over MQTT are already there.
  const unsubscribe = context.tagValues.subscribe((values, origin) => {
    if (origin === "mqtt") return
    for (const { domain, topic, value } of values) mqtt.publish(domain, topic, valuePayload(value), true)
  })
  return {
    ...mqtt,
    stop: async () => {
      unsubscribe()
      await mqtt.stop()
    }
  }
}
