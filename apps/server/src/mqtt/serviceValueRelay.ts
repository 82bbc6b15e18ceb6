import type { Subscription } from "@nats-io/transport-node"
import { ADMIN_DOMAIN } from "@machhub/core"
import type { ServerContext } from "../ServerContext.js"
import { log } from "../log.js"
import { tagDefinitions } from "../tags/definitions/tagDefinitions.js"
import { ORIGIN_NODE_HEADER } from "../tags/nats/tagIntake.js"
import { decodeTagMessage } from "../tags/nats/tagMessage.js"
import { ALL_TAG_SUBJECTS, parseTagSubject } from "../tags/nats/tagSubject.js"
import { valuePayload } from "./payloadValue.js"

/** The NATS queue group of the nodes sharing one broker: each service value goes to one of them. */
export const RELAY_QUEUE = "machhub-mqtt-relay"

/**
 * With a broker shared by every node (MQTT_URL), a value a service publishes on NATS reaches every
 * node's value pipeline; were each node to hand it to the broker, MQTT subscribers would get it once
 * per node. Those values are relayed here instead, through a NATS queue group: exactly one node
 * publishes each to the shared broker. The checks are the ones every node's intake applies (a domain
 * that exists, a tag that is not read-only, autocreate), so what subscribers get is what the
 * historians keep. Values carrying a node's origin header are skipped: that node published them to
 * the broker itself.
 */
export const startServiceValueRelay = (
  context: Pick<ServerContext, "nats" | "domains" | "readModels" | "projections" | "config">,
  publish: (domain: string, topic: string, payload: string) => void
): { readonly stop: () => void } => {
  const connection = context.nats?.connection
  if (connection === undefined) return { stop: () => {} }
  const definitions = tagDefinitions(context)
  let subscription: Subscription | undefined = connection.subscribe(ALL_TAG_SUBJECTS, {
    queue: RELAY_QUEUE,
    callback: (error, msg) => {
      if (error !== null) return log("warn", "the NATS subscription relaying service values to MQTT reported an error", { error: error.message })
      try {
        if ((msg.headers?.get(ORIGIN_NODE_HEADER) ?? "") !== "") return
        const parsed = parseTagSubject(msg.subject)
        if (!parsed.ok || (parsed.domain !== ADMIN_DOMAIN && !context.domains.exists(parsed.domain))) return
        const tag = definitions.get(parsed.domain, parsed.topic)
        if (tag === undefined ? !context.config.tagsAutocreate : tag.access === "R") return
        const decoded = decodeTagMessage(parsed.domain, parsed.topic, msg.data, Date.now())
        // Bad messages are dropped, and logged, by every node's intake.
        if (!decoded.ok) return
        publish(parsed.domain, parsed.topic, valuePayload(decoded.value.value))
      } catch (error) {
        log("warn", "a service value could not be relayed to MQTT", { subject: msg.subject.slice(0, 200), error: error instanceof Error ? error.message : String(error) })
      }
    }
  })
  return {
    stop: () => {
      try {
        subscription?.unsubscribe()
      } catch {
        // The connection is closed already.
      }
      subscription = undefined
    }
  }
}
