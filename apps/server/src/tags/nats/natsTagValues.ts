import { randomUUID } from "node:crypto"
import { headers, type Msg, type Subscription } from "@nats-io/transport-node"
import type { ActorRef } from "@machhub/core"
import type { NatsClient } from "@machhub/adapters"
import { ADMIN_DOMAIN } from "@machhub/core"
import type { ServerContext } from "../../ServerContext.js"
import { log } from "../../log.js"
import { ensureTag } from "../definitions/ensureTag.js"
import { tagDefinitions } from "../definitions/tagDefinitions.js"
import type { TagValue } from "../values/TagValue.js"
import { decodeTagMessage, encodeTagMessage } from "./tagMessage.js"
import { ALL_TAG_SUBJECTS, parseTagSubject, tagSubject } from "./tagSubject.js"

/**
 * The header naming the server node that published a value. A node skips its own publications (it
 * recorded them before publishing), takes another node's without re-publishing them, and takes a
 * message without it as a service's value; so each value is recorded once on each node, whichever
 * way it came, and never travels round.
 */
export const ORIGIN_NODE_HEADER = "Mh-Origin-Node"

/** Who defines a tag when a service's value is the first on its topic (autocreate). */
export const NATS_ACTOR: ActorRef = { kind: "system", id: "nats" }

/** Log lines about dropped messages per window; beyond them, drops are counted into the next line. */
const DROP_LOG_WINDOW_MS = 10_000
const DROP_LOG_LINES = 20

export interface NatsTagValues {
  /** This node's id in ORIGIN_NODE_HEADER. */
  readonly nodeId: string
  /** Stops taking and publishing values; values already taken in are handed to the pipeline first. */
  readonly stop: () => void
}

type EdgeContext = Pick<ServerContext, "tagValues" | "domains" | "commands" | "projections" | "readModels" | "run" | "config">

/**
 * Logs why messages are dropped without letting a service that floods bad messages flood the log:
 * at most DROP_LOG_LINES lines per window, the next line saying how many went unlogged meanwhile.
 */
const dropLogger = (what: string) => {
  let windowStart = 0
  let lines = 0
  let unlogged = 0
  return (fields: Record<string, unknown>) => {
    const now = Date.now()
    if (now - windowStart >= DROP_LOG_WINDOW_MS) {
      windowStart = now
      lines = 0
    }
    if (lines >= DROP_LOG_LINES) {
      unlogged += 1
      return
    }
    lines += 1
    log("warn", what, { ...fields, ...(unlogged > 0 ? { alsoDroppedUnlogged: unlogged } : {}) })
    unlogged = 0
  }
}

/**
 * Tag values on NATS (SPEC §7), on an edge with NATS_URL: every value the pipeline takes in over
 * HTTP, MQTT or from inside the server is published on `mh.tag.<domain>.<topic>` (see tagSubject.ts),
 * and values services publish there are taken into the pipeline: checked like a client's (a tag
 * with access R refuses them; a new topic is defined unless MACHHUB_TAGS_AUTOCREATE=false), in the
 * domain the subject names, which must exist.
 */
export const startNatsTagValues = (context: EdgeContext, nats: NatsClient, nodeId: string = randomUUID()): NatsTagValues => {
  const connection = nats.connection
  const { tagValues } = context
  const definitions = tagDefinitions(context)
  let stopped = false

  // ---- out: the pipeline's values onto their subjects ----
  const outHeaders = headers()
  outHeaders.set(ORIGIN_NODE_HEADER, nodeId)
  outHeaders.set("Content-Type", "application/json")
  const publishFailed = dropLogger("tag values could not be published on NATS")
  const unsubscribe = tagValues.subscribe((values, origin) => {
    // Values from NATS are on their subject already.
    if (origin === "nats" || stopped) return
    for (const value of values) {
      try {
        connection.publish(tagSubject(value.domain, value.topic), encodeTagMessage(value), { headers: outHeaders })
      } catch (error) {
        publishFailed({ domain: value.domain, topic: value.topic, error: error instanceof Error ? error.message : String(error) })
      }
    }
  })

  // ---- in: services' (and other nodes') values into the pipeline ----
  const dropped = dropLogger("dropped a tag value received on NATS")
  const knownDomains = new Set<string>([ADMIN_DOMAIN])
  const domainExists = (domain: string): boolean => {
    if (knownDomains.has(domain)) return true
    if (!context.domains.exists(domain)) return false
    knownDomains.add(domain)
    return true
  }

  // Values taken in during one turn of the event loop go to the pipeline together.
  let pending: Array<TagValue> = []
  let scheduled = false
  const hand = () => {
    scheduled = false
    if (pending.length === 0) return
    const values = pending
    pending = []
    tagValues.publish(values, "nats")
  }
  const accept = (value: TagValue) => {
    if (stopped) return
    pending.push(value)
    if (!scheduled) {
      scheduled = true
      setImmediate(() => {
        try {
          hand()
        } catch (error) {
          log("error", "tag values received on NATS could not be recorded", { error: error instanceof Error ? error.message : String(error) })
        }
      })
    }
  }

  /** A service's value passes the tag rules first; a definition being made is waited for. */
  const admitFromService = (value: TagValue): void | Promise<void> => {
    const tag = definitions.get(value.domain, value.topic)
    if (tag !== undefined) {
      if (tag.access === "R") dropped({ domain: value.domain, topic: value.topic, reason: "the tag is read-only (access R)" })
      else accept(value)
      return
    }
    if (!context.config.tagsAutocreate) {
      dropped({ domain: value.domain, topic: value.topic, reason: "no tag has this topic and values do not define tags (MACHHUB_TAGS_AUTOCREATE=false)" })
      return
    }
    const defined = ensureTag(context, value.domain, value.topic, NATS_ACTOR)
    const decide = (tag: Awaited<typeof defined>) => {
      if (tag === undefined) dropped({ domain: value.domain, topic: value.topic, reason: "the tag could not be defined" })
      else if (tag.access === "R") dropped({ domain: value.domain, topic: value.topic, reason: "the tag is read-only (access R)" })
      else accept(value)
    }
    if (!(defined instanceof Promise)) return decide(defined)
    return defined.then(decide, (error: unknown) =>
      dropped({ domain: value.domain, topic: value.topic, reason: `the tag could not be defined: ${error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error)}` })
    )
  }

  /** Checks one message; answers a promise only while a tag it needs is being defined. */
  const admit = (msg: Msg): void | Promise<void> => {
    const origin = msg.headers?.get(ORIGIN_NODE_HEADER) ?? ""
    if (origin === nodeId) return
    const parsed = parseTagSubject(msg.subject)
    if (!parsed.ok) return dropped({ subject: msg.subject, reason: parsed.message })
    if (!domainExists(parsed.domain)) return dropped({ subject: msg.subject, reason: `there is no domain ${parsed.domain}` })
    const decoded = decodeTagMessage(parsed.domain, parsed.topic, msg.data, Date.now())
    if (!decoded.ok) return dropped({ subject: msg.subject, reason: decoded.message })
    // Another node's value passed the tag rules where it was written.
    if (origin !== "") return accept(decoded.value)
    return admitFromService(decoded.value)
  }

  // Messages wait behind one whose tag is being defined, so a tag's values keep their order.
  let backlog: Promise<void> | undefined
  const safely = (msg: Msg): void | Promise<void> => {
    try {
      return admit(msg)
    } catch (error) {
      dropped({ subject: msg.subject, reason: error instanceof Error ? error.message : String(error) })
    }
  }
  const receive = (msg: Msg) => {
    if (stopped) return
    if (backlog !== undefined) {
      const next: Promise<void> = backlog.then(() => safely(msg))
      backlog = next
      void next.finally(() => {
        if (backlog === next) backlog = undefined
      })
      return
    }
    const waiting = safely(msg)
    if (waiting instanceof Promise) {
      const next = waiting.catch(() => {})
      backlog = next
      void next.finally(() => {
        if (backlog === next) backlog = undefined
      })
    }
  }

  const subscription: Subscription = connection.subscribe(ALL_TAG_SUBJECTS, {
    callback: (error, msg) => {
      if (error !== null) {
        log("warn", "the NATS subscription to tag values reported an error", { error: error.message })
        return
      }
      receive(msg)
    }
  })

  return {
    nodeId,
    stop: () => {
      if (stopped) return
      unsubscribe()
      try {
        subscription.unsubscribe()
      } catch {
        // The connection is closed already: nothing more arrives.
      }
      hand()
      stopped = true
    }
  }
}
