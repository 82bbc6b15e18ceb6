import { randomUUID } from "node:crypto"
import { isAllowed, type Permission } from "@machhub/core"
import type { ClientAccess, ConnectDecision, MqttAuthenticate, MqttCredentials, PublishVerdict, SubscribeVerdict } from "@machhub/adapters"
import type { Authentication, Authenticator } from "../auth/Authenticator.js"
import { isRefusal, type Principal } from "../auth/Principal.js"
import { validateTopicFilter, validateTopicName } from "../tags/topicName.js"

const TAGS_READ: Permission = { feature: "tags", action: "read", scope: "domain" }
const TAGS_WRITE: Permission = { feature: "tags", action: "read-write", scope: "domain" }

/** The username the MACHHUB SDK connects with; the developer key is the password. */
export const DEVELOPER_KEY_USERNAME = "mch_developer_key"

/** How a tag is defined, as far as MQTT writes care: absent when the topic has no definition. */
export type TagAccessLookup = (domain: string, topic: string) => "R" | "RW" | undefined

export interface MqttAccessOptions {
  readonly authenticator: Authenticator
  /** False while the read models catch up at start: credentials cannot be judged yet ("server unavailable"). */
  readonly ready?: () => boolean
  /** Tag definitions; until they exist every topic is writable. */
  readonly tagAccess?: TagAccessLookup
  /** Whether a publish to a topic with no definition is taken (it then defines the tag). */
  readonly autocreate?: boolean
  /** A client's publish went to the broker (the tag value pipeline takes it from here). */
  readonly onPublished?: (principal: Principal, topic: string, payload: Buffer, retain: boolean) => void
}

/** A client's access with what the server needs to check it again later. */
export interface ServerClientAccess extends ClientAccess {
  readonly principal: Principal
  /** Authenticates the client's credentials again, as they were presented at CONNECT. */
  readonly recheck: () => Authentication | Promise<Authentication>
}

/**
 * The request the HTTP edge would have received with the same credential: the MQTT password as a
 * bearer credential (a developer key, a JWT or a session access token), and a username of the form
 * `domains:<name>` as the Domain header (without it, a key acts in its own domain and a token in the
 * admin domain, as over HTTP).
 */
const requestOf = (credentials: MqttCredentials, password: string) => {
  const username = credentials.username?.trim() ?? ""
  const headers: Record<string, string> = { authorization: `Bearer ${password}` }
  if (username.startsWith("domains:")) headers["domain"] = username
  return {
    method: "CONNECT",
    path: "/mqtt",
    query: "",
    headers,
    body: Buffer.alloc(0),
    remoteAddress: credentials.remoteAddress,
    correlationId: randomUUID(),
    params: {}
  }
}

const refusalOf = (outcome: Extract<Authentication, { status: number }>): ConnectDecision => {
  switch (outcome.status) {
    case 401:
      return { ok: false, reason: "bad-credentials", message: outcome.message }
    case 403:
      return { ok: false, reason: "not-authorized", message: outcome.message }
    case 429:
      return { ok: false, reason: "rate-limited", message: outcome.message }
  }
}

/**
 * Decides MQTT CONNECTs with the server's authenticator, and what each client may do: subscribe
 * with `tags:read`, publish with `tags:read-write`, never to a tag whose access is `R` (nor to an
 * undefined topic when tags are not created on first value), always within the credential's domain.
 */
export const makeMqttAuthenticate = (options: MqttAccessOptions): MqttAuthenticate => {
  const accessOf = (principal: Principal, recheck: ServerClientAccess["recheck"]): ServerClientAccess => {
    const domain = principal.domain
    const mayRead = isAllowed(principal.permissions, TAGS_READ, principal.superuser)
    const mayWrite = isAllowed(principal.permissions, TAGS_WRITE, principal.superuser)
    const onPublished = options.onPublished
    return {
      namespace: domain,
      identity: principal.id,
      principal,
      recheck,
      mayPublish: (topic): PublishVerdict => {
        const check = validateTopicName(topic)
        if (!check.ok) return { ok: false, reason: "topic-invalid", message: check.message }
        if (!mayWrite) return { ok: false, reason: "not-authorized", message: `missing permission tags:read-write:domain in ${domain}` }
        const access = options.tagAccess?.(domain, topic)
        if (access === "R") return { ok: false, reason: "not-authorized", message: `the tag ${topic} is read-only for clients` }
        if (access === undefined && options.tagAccess !== undefined && options.autocreate === false) {
          return { ok: false, reason: "not-authorized", message: `no tag has the topic ${topic} and tags are not created on first value` }
        }
        return { ok: true }
      },
      maySubscribe: (filter): SubscribeVerdict => {
        const check = validateTopicFilter(filter)
        if (!check.ok) return { ok: false, reason: "topic-invalid", message: check.message }
        if (!mayRead) return { ok: false, reason: "not-authorized", message: `missing permission tags:read:domain in ${domain}` }
        return check.shareName === undefined ? { ok: true, filter: check.filter } : { ok: true, filter: check.filter, shareName: check.shareName }
      },
      ...(onPublished === undefined ? {} : { published: (topic: string, payload: Buffer, retain: boolean) => onPublished(principal, topic, payload, retain) })
    }
  }

  return (credentials) => {
    if (options.ready !== undefined && !options.ready()) {
      return { ok: false, reason: "unavailable", message: "the server is starting; connect again in a moment" }
    }
    if (credentials.password === undefined || credentials.password.length === 0) {
      return { ok: false, reason: "not-authorized", message: `no credential: send username ${DEVELOPER_KEY_USERNAME} and a developer key, or a token, as password` }
    }
    const request = requestOf(credentials, credentials.password.toString("utf8"))
    const recheck = () => options.authenticator.authenticate({ ...request, correlationId: randomUUID() })
    const decide = (outcome: Authentication): ConnectDecision => (isRefusal(outcome) ? refusalOf(outcome) : { ok: true, access: accessOf(outcome, recheck) })
    const outcome = options.authenticator.authenticate(request)
    return outcome instanceof Promise ? outcome.then(decide) : decide(outcome)
  }
}
