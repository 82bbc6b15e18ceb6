import { createRequire } from "node:module"
import { text, type UpgradeDecision, type WebSocketRoute } from "@machhub/adapters"
import { isAllowed } from "@machhub/core"
import { missingPermission } from "../api/refusals.js"
import type { Authenticator } from "../auth/Authenticator.js"
import { isRefusal } from "../auth/Principal.js"
import { domainOfRuntimeId, editorId } from "./domainIds.js"

const FLOWS_WRITE = { feature: "flows", action: "read-write", scope: "domain" } as const

interface CommsMessage {
  readonly topic?: unknown
  readonly data?: unknown
}

/** Node-RED's comms messages as one domain's editor may see them: its own nodes' status and debug output, runtime notices. */
export const commsForDomain = (raw: string, domain: string): string | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  const list = Array.isArray(parsed) ? (parsed as Array<CommsMessage>) : [parsed as CommsMessage]
  const kept: Array<CommsMessage> = []
  const own = (id: unknown) => domainOfRuntimeId(id) === domain
  const strip = (value: unknown) => (typeof value === "string" ? value.split("/").map((part) => (own(part) ? editorId(part) : part)).join("/") : value)
  for (const message of list) {
    const topic = typeof message?.topic === "string" ? message.topic : undefined
    if (topic === undefined) continue
    if (topic.startsWith("status/")) {
      const id = topic.slice(7)
      if (own(id)) kept.push({ topic: `status/${editorId(id)}`, data: message.data })
    } else if (topic === "debug") {
      const data = (typeof message.data === "object" && message.data !== null ? message.data : {}) as Record<string, unknown>
      if (own(data["id"])) kept.push({ topic, data: { ...data, id: strip(data["id"]), z: strip(data["z"]), path: strip(data["path"]) } })
    } else if (topic === "hb" || topic.startsWith("notification/runtime-") || topic.startsWith("notification/node/")) {
      // Heartbeats, deploys and runtime state, palette changes: the runtime's, no domain's.
      kept.push(message)
    }
  }
  if (kept.length === 0) return undefined
  return JSON.stringify(Array.isArray(parsed) ? kept : kept[0])
}

/** Only subscriptions go up to Node-RED: other messages would reach the runtime's nodes. */
const upstreamMessage = (raw: string): string | undefined => {
  try {
    const message = JSON.parse(raw) as Record<string, unknown>
    return typeof message["subscribe"] === "string" ? JSON.stringify({ subscribe: message["subscribe"] }) : undefined
  } catch {
    return undefined
  }
}

interface NodeRedSocket {
  readonly readyState: number
  send(data: string): void
  close(): void
  on(event: "open" | "close" | "error", listener: () => void): void
  on(event: "message", listener: (data: unknown) => void): void
}

/** The `ws` client Node-RED itself ships (the server declares no WebSocket client of its own). */
const nodeRedWebSocket = (): new (url: string) => NodeRedSocket => {
  const fromEditorApi = createRequire(createRequire(import.meta.url).resolve("@node-red/editor-api"))
  return fromEditorApi("ws") as new (url: string) => NodeRedSocket
}

/**
 * `/flows/comms`: the editor's live connection (node status, debug sidebar, deploy notices), for a
 * signed-in user with flows:read-write, relayed to Node-RED's socket with only the active domain's
 * nodes in it (ids as its editor knows them).
 */
export const editorCommsRoute = (authenticator: Authenticator, socketPath: () => Promise<string>): WebSocketRoute => ({
  path: "/flows/comms",
  maxPayloadLength: 64 * 1024,
  idleTimeoutSeconds: 120,
  upgrade: async (request): Promise<UpgradeDecision> => {
    const outcome = await authenticator.authenticate(request, { allowCookie: true })
    if (isRefusal(outcome)) return { accept: false, response: text(outcome.status, outcome.message, outcome.headers as Record<string, string> | undefined) }
    if (!isAllowed(outcome.permissions, FLOWS_WRITE, outcome.superuser)) {
      const refusal = missingPermission(FLOWS_WRITE, outcome.domain)
      return { accept: false, response: text(refusal.status, refusal.message) }
    }
    const domain = outcome.domain
    const path = await socketPath()
    const WebSocket = nodeRedWebSocket()
    return {
      accept: true,
      abandon: () => {},
      open: (peer) => {
        const upstream = new WebSocket(`ws+unix://${path}:/comms`)
        const waiting: Array<string> = []
        upstream.on("open", () => {
          for (const message of waiting.splice(0)) upstream.send(message)
        })
        upstream.on("message", (data) => {
          const relayed = commsForDomain(String(data), domain)
          if (relayed !== undefined && !peer.isClosed()) peer.send(relayed, false)
        })
        upstream.on("close", () => {
          if (!peer.isClosed()) peer.end(1001, "the flows runtime closed the connection")
        })
        upstream.on("error", () => {
          if (!peer.isClosed()) peer.end(1011, "the flows runtime is not reachable")
        })
        return {
          message: (data) => {
            const message = upstreamMessage(Buffer.from(data).toString("utf8"))
            if (message === undefined) return
            if (upstream.readyState === 1) upstream.send(message)
            else waiting.push(message)
          },
          drain: () => {},
          closed: () => upstream.close()
        }
      }
    }
  }
})
