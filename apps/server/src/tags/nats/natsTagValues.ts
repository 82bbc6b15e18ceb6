import { randomUUID } from "node:crypto"
import { headers, type Subscription } from "@nats-io/transport-node"
import type { NatsClient } from "@machhub/adapters"
import { log } from "../../log.js"
import { dropLogger, makeTagIntake, ORIGIN_NODE_HEADER, type IntakeContext } from "./tagIntake.js"
import { encodeTagMessage } from "./tagMessage.js"
import { ALL_TAG_SUBJECTS, tagSubject } from "./tagSubject.js"
import { followTagStream, type RunningTagStream } from "./tagValueStream.js"

export { NATS_ACTOR, ORIGIN_NODE_HEADER } from "./tagIntake.js"

export interface NatsTagValues {
  /** This node's id in ORIGIN_NODE_HEADER (one per process). */
  readonly nodeId: string
  /** Stops taking and publishing values; values already taken in are handed to the pipeline first. */
  readonly stop: () => Promise<void>
}

/**
 * Tag values on NATS (SPEC §7), on an edge with NATS_URL: every value the pipeline takes in over
 * HTTP, MQTT or from inside the server is published on `mh.tag.<domain>.<topic>` (see tagSubject.ts),
 * and values services (and other nodes) publish there are taken into the pipeline (see tagIntake.ts).
 *
 * With MACHHUB_STORE=jetstream they are taken from the tag value stream (see tagValueStream.ts), so
 * a node catches up with values published while it was away; otherwise from a plain subscription,
 * live only.
 */
export const startNatsTagValues = (context: IntakeContext, nats: NatsClient, nodeId: string = randomUUID()): NatsTagValues => {
  const connection = nats.connection
  const { tagValues, config } = context
  let stopped = false

  // ---- out: the pipeline's values onto their subjects ----
  const outHeaders = headers()
  outHeaders.set(ORIGIN_NODE_HEADER, nodeId)
  outHeaders.set("Content-Type", "application/json")
  const publishFailed = dropLogger("tag values could not be published on NATS")
  // Each tag's subject, computed once (the cache starts over when large).
  const subjects = new Map<string, string>()
  const subjectOf = (domain: string, topic: string): string => {
    const key = `${domain}\u0000${topic}`
    let subject = subjects.get(key)
    if (subject === undefined) {
      if (subjects.size >= 10_000) subjects.clear()
      subject = tagSubject(domain, topic)
      subjects.set(key, subject)
    }
    return subject
  }
  const unsubscribe = tagValues.subscribe((values, origin) => {
    // Values from NATS are on their subject already.
    if (origin === "nats" || stopped) return
    for (const value of values) {
      try {
        connection.publish(subjectOf(value.domain, value.topic), encodeTagMessage(value), { headers: outHeaders })
      } catch (error) {
        publishFailed({ domain: value.domain, topic: value.topic, error: error instanceof Error ? error.message : String(error) })
      }
    }
  })

  // ---- in: services' and other nodes' values into the pipeline ----
  const intake = makeTagIntake(context, nodeId)
  let subscription: Subscription | undefined
  let stream: Promise<RunningTagStream | undefined> | undefined
  const subscribe = () => {
    subscription = connection.subscribe(ALL_TAG_SUBJECTS, {
      callback: (error, msg) => {
        if (error !== null) log("warn", "the NATS subscription to tag values reported an error", { error: error.message })
        else intake.receive(msg, Date.now())
      }
    })
  }
  if (config.store === "jetstream") {
    stream = followTagStream(connection, intake, {
      streamName: config.tagStream,
      maxAgeSeconds: config.tagStreamMaxAgeSeconds,
      replicas: config.jetstreamReplicas,
      dataDir: config.dataDir,
      flush: () => tagValues.flush(),
      ready: async () => {
        while (!context.projections.isReady() && !stopped) await new Promise((r) => setTimeout(r, 20))
      }
    }).catch((error: unknown) => {
      if (stopped) return undefined
      // Values still flow live between nodes; only catching up after an absence is lost.
      log("error", "the tag value stream cannot be used; taking tag values live from NATS only", {
        stream: config.tagStream,
        error: error instanceof Error ? error.message : String(error)
      })
      subscribe()
      return undefined
    })
  } else {
    subscribe()
  }

  return {
    nodeId,
    stop: async () => {
      if (stopped) return
      stopped = true
      unsubscribe()
      try {
        subscription?.unsubscribe()
      } catch {
        // The connection is closed already: nothing more arrives.
      }
      await (await stream)?.stop()
      intake.stop()
    }
  }
}
