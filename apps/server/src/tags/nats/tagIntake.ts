import type { ActorRef } from "@machhub/core"
import { ADMIN_DOMAIN } from "@machhub/core"
import type { ServerContext } from "../../ServerContext.js"
import { log } from "../../log.js"
import { ensureTag } from "../definitions/ensureTag.js"
import { tagDefinitions } from "../definitions/tagDefinitions.js"
import type { TagValue } from "../values/TagValue.js"
import { decodeTagMessage } from "./tagMessage.js"
import { parseTagSubject } from "./tagSubject.js"

/**
 * The header naming the server node that published a value. A node skips its own publications (it
 * recorded them before publishing), takes another node's without checking or re-publishing them,
 * and takes a message without it as a service's value; so each value is recorded once on each node,
 * whichever way it came, and never travels round.
 */
export const ORIGIN_NODE_HEADER = "Mh-Origin-Node"

/** Who defines a tag when a service's value is the first on its topic (autocreate). */
export const NATS_ACTOR: ActorRef = { kind: "system", id: "nats" }

/** A message on a tag subject, from a core subscription or a JetStream stream. */
export interface TagMessage {
  readonly subject: string
  readonly headers?: { get(name: string): string } | undefined
  readonly data: Uint8Array
}

/** Log lines about dropped messages per window; beyond them, drops are counted into the next line. */
const DROP_LOG_WINDOW_MS = 10_000
const DROP_LOG_LINES = 20
/** Parsed subjects kept at most. */
const SUBJECT_CACHE_SIZE = 10_000

/**
 * Logs why messages are dropped without letting a service that floods bad messages flood the log:
 * at most DROP_LOG_LINES lines per window, the next line saying how many went unlogged meanwhile.
 */
export const dropLogger = (what: string) => {
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

export type IntakeContext = Pick<ServerContext, "tagValues" | "domains" | "commands" | "projections" | "readModels" | "run" | "config">

export interface TagIntake {
  /**
   * Takes one message: checked, then handed to the pipeline with origin "nats". `now` stamps a
   * value sent without timestamp; `done` is called once the message is taken or dropped, in order.
   */
  readonly receive: (msg: TagMessage, now: number, done?: () => void) => void
  /** Hands what was taken to the pipeline now, instead of at the end of this turn of the event loop. */
  readonly hand: () => void
  /** Takes nothing more; what was taken is handed to the pipeline first. */
  readonly stop: () => void
}

/**
 * Values from NATS into the value pipeline, in the domain their subject names (which must exist).
 * A service's value passes the tag rules a client's does: a tag with access R refuses it, and a new
 * topic is defined (by NATS_ACTOR) unless MACHHUB_TAGS_AUTOCREATE=false. Another node's value passed
 * them where it was written. Bad messages are logged and dropped.
 */
export const makeTagIntake = (context: IntakeContext, nodeId: string): TagIntake => {
  const { tagValues } = context
  const definitions = tagDefinitions(context)
  const dropped = dropLogger("dropped a tag value received on NATS")
  let stopped = false

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
    if (pending.length === 0) return
    const values = pending
    pending = []
    tagValues.publish(values, "nats")
  }
  const accept = (value: TagValue) => {
    if (stopped) return
    pending.push(value)
    if (scheduled) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      try {
        hand()
      } catch (error) {
        log("error", "tag values received on NATS could not be recorded", { error: error instanceof Error ? error.message : String(error) })
      }
    })
  }

  // Values come on few subjects many times: each is parsed once (the cache starts over when large).
  const subjects = new Map<string, ReturnType<typeof parseTagSubject>>()
  const parse = (subject: string) => {
    let parsed = subjects.get(subject)
    if (parsed === undefined) {
      if (subjects.size >= SUBJECT_CACHE_SIZE) subjects.clear()
      parsed = parseTagSubject(subject)
      subjects.set(subject, parsed)
    }
    return parsed
  }

  // A subject may be long (a 512-byte topic escaped): logs get its start.
  const clip = (subject: string) => (subject.length > 200 ? `${subject.slice(0, 200)}…` : subject)
  const refuse = (value: TagValue, reason: string) => dropped({ domain: value.domain, topic: value.topic, reason })

  /** A service's value passes the tag rules first; a definition being made is waited for. */
  const admitFromService = (value: TagValue): void | Promise<void> => {
    const tag = definitions.get(value.domain, value.topic)
    if (tag !== undefined) return tag.access === "R" ? refuse(value, "the tag is read-only (access R)") : accept(value)
    if (!context.config.tagsAutocreate) {
      return refuse(value, "no tag has this topic and values do not define tags (MACHHUB_TAGS_AUTOCREATE=false)")
    }
    const decide = (defined: Awaited<ReturnType<typeof ensureTag>>) => {
      if (defined === undefined) refuse(value, "the tag could not be defined")
      else if (defined.access === "R") refuse(value, "the tag is read-only (access R)")
      else accept(value)
    }
    let defining: ReturnType<typeof ensureTag>
    try {
      defining = ensureTag(context, value.domain, value.topic, NATS_ACTOR)
    } catch (error) {
      return refuse(value, `the tag could not be defined: ${messageOf(error)}`)
    }
    if (!(defining instanceof Promise)) return decide(defining)
    return defining.then(decide, (error: unknown) => refuse(value, `the tag could not be defined: ${messageOf(error)}`))
  }

  /** Checks one message; answers a promise only while a tag it needs is being defined. */
  const admit = (msg: TagMessage, now: number): void | Promise<void> => {
    const origin = msg.headers?.get(ORIGIN_NODE_HEADER) ?? ""
    if (origin === nodeId) return
    const parsed = parse(msg.subject)
    if (!parsed.ok) return dropped({ subject: clip(msg.subject), reason: parsed.message })
    if (!domainExists(parsed.domain)) return dropped({ subject: clip(msg.subject), reason: `there is no domain ${parsed.domain}` })
    const decoded = decodeTagMessage(parsed.domain, parsed.topic, msg.data, now)
    if (!decoded.ok) return dropped({ subject: clip(msg.subject), reason: decoded.message })
    // Another node's value passed the tag rules where it was written.
    if (origin !== "") return accept(decoded.value)
    return admitFromService(decoded.value)
  }

  const safely = (msg: TagMessage, now: number): void | Promise<void> => {
    try {
      return admit(msg, now)
    } catch (error) {
      dropped({ subject: clip(msg.subject), reason: messageOf(error) })
    }
  }

  // Messages wait behind one whose tag is being defined, so that values keep their order.
  let backlog: Promise<void> | undefined
  const queue = (next: Promise<void>) => {
    backlog = next
    void next.finally(() => {
      if (backlog === next) backlog = undefined
    })
  }
  const receive = (msg: TagMessage, now: number, done?: () => void) => {
    if (stopped) return
    if (backlog !== undefined) {
      queue(backlog.then(() => safely(msg, now)).then(done))
      return
    }
    const waiting = safely(msg, now)
    if (waiting instanceof Promise) queue(waiting.then(done))
    else done?.()
  }

  return {
    receive,
    hand,
    stop: () => {
      if (stopped) return
      hand()
      stopped = true
    }
  }
}

const messageOf = (error: unknown): string => {
  if (error instanceof Error) return error.message
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === "string" ? message : String(error)
}
