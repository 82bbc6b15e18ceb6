import { bridgeTerminal, TerminalCloseCode, type TerminalBridge, type UpgradeDecision, type WebSocketRoute } from "@machhub/adapters"
import {
  isAllowed,
  isUuid,
  makeTerminalRecorder,
  streamName,
  TERMINAL_SESSION_CATEGORY,
  type EventStoreService,
  type MachineDeleted,
  type RecordedEvent
} from "@machhub/core"
import type { ProjectionRunnerService } from "@machhub/projections"
import type { Authenticator } from "../auth/Authenticator.js"
import { isRefusal } from "../auth/Principal.js"
import { log } from "../log.js"
import { failure } from "./envelope.js"
import type { TerminalTickets } from "./TerminalTickets.js"
import { missingPermission } from "../api/refusals.js"

/** Claiming a ticket opens a shell: the same permission as connecting. */
const MACHINES_WRITE = { feature: "machines", action: "read-write", scope: "self" } as const

export interface TerminalSocketDependencies {
  readonly authenticator: Authenticator
  readonly projections: ProjectionRunnerService
  readonly store: EventStoreService
  readonly tickets: TerminalTickets
  /** No input, resize or heartbeat for this long ends a session. */
  readonly idleMillis: number
  /** Whether the machine still exists in this node's read model. */
  readonly machineExists: (domain: string, machineId: number) => boolean
}

const refuse = (status: number, message: string, headers?: Readonly<Record<string, string>>): UpgradeDecision => ({
  accept: false,
  response: failure(status, message, headers)
})

const dimension = (raw: string | null, fallback: number): number | undefined => {
  if (raw === null) return fallback
  const value = Number(raw)
  return Number.isInteger(value) && value >= 1 && value <= 10_000 ? value : undefined
}

/** How long a stopping server waits for sessions' recordings to be stored. */
const SHUTDOWN_RECORDING_MILLIS = 5_000

/**
 * `GET /ssh?uuid=<ticket>[&cols=&rows=]` upgrades to the terminal of a connection opened by
 * `connect`. The caller must present a credential (cookie `jwt` or Bearer) of the ticket's user,
 * still holding `machines:read-write` in the ticket's domain; the ticket is claimed only then, so a
 * stranger holding the uuid cannot burn it. Refusals answer plain HTTP in the machines envelope.
 * Each session is recorded on `sshsession-<domain>-<ticket>`.
 *
 * Deleting a machine ends its terminals: every node watches its read models for `MachineDeleted`
 * (wherever the delete was answered), closes the sockets bridged to that machine with code 4001 and
 * the reason "the machine was deleted", ends their SSH connections, and invalidates the machine's
 * unclaimed tickets. The read model is updated before the listener runs, so a session that opens
 * while the event is applied checks the machine itself and ends as well.
 */
export const terminalSocketRoute = (deps: TerminalSocketDependencies): WebSocketRoute => {
  const live = new Map<TerminalBridge, { readonly domain: string; readonly machineId: number }>()
  const recordings = new Set<Promise<void>>()
  let closing = false

  const MACHINE_DELETED = "the machine was deleted"
  const endMachine = (domain: string, machineId: number) => {
    for (const entry of deps.tickets.revokeMachine(domain, machineId)) {
      log("info", "an SSH ticket was invalidated: its machine was deleted", { ticket: entry.ticket, machineId })
    }
    for (const [bridge, of] of live) {
      if (of.domain === domain && of.machineId === machineId) bridge.end("server", MACHINE_DELETED, TerminalCloseCode.machineDeleted)
    }
  }
  deps.projections.onApplied((events) => {
    for (const event of events) {
      if (event.type !== "MachineDeleted") continue
      // A throwing listener would fail the read models' batch: this one only logs.
      try {
        endMachine(event.meta.domain, (event as RecordedEvent & MachineDeleted).data.machineId)
      } catch (error) {
        log("error", "could not end the terminals of a deleted machine", { error: error instanceof Error ? error.message : String(error) })
      }
    }
  })

  return {
    path: "/ssh",
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeoutSeconds: 120,
    upgrade: async (request) => {
      if (closing) return refuse(503, "The server is shutting down; connect again shortly", { "Retry-After": "1" })
      if (!deps.projections.isReady()) return refuse(503, "The server is starting; retry shortly", { "Retry-After": "1" })
      const params = new URLSearchParams(request.query)
      const ticketId = params.get("uuid")
      if (ticketId === null || !isUuid(ticketId)) {
        return refuse(400, "Query parameter uuid must be the ticket answered by POST /api/v1/machine/<id>/connect")
      }
      const cols = dimension(params.get("cols"), 80)
      const rows = dimension(params.get("rows"), 24)
      if (cols === undefined || rows === undefined) return refuse(400, "cols and rows must be integers from 1 to 10000")
      const waiting = deps.tickets.peek(ticketId)
      if (waiting === undefined) return refuse(404, "Unknown, expired or already used ticket; connect again")
      // A browser cannot set a Domain header on a WebSocket: the ticket says which domain it was issued in.
      const outcome = await deps.authenticator.authenticate(
        { ...request, headers: { ...request.headers, domain: `domains:${waiting.domain}` } },
        { allowCookie: true }
      )
      if (isRefusal(outcome)) return refuse(outcome.status, outcome.message, outcome.headers)
      if (outcome.kind !== "user" || outcome.userId !== waiting.userId) return refuse(403, "This ticket was issued to another user")
      if (!isAllowed(outcome.permissions, MACHINES_WRITE, outcome.superuser)) {
        return refuse(403, missingPermission(MACHINES_WRITE, waiting.domain).message)
      }
      const claimed = deps.tickets.claim(ticketId)
      if (claimed === undefined) return refuse(404, "Unknown, expired or already used ticket; connect again")
      let channel: Awaited<ReturnType<typeof claimed.connection.openShell>>
      try {
        channel = await claimed.connection.openShell({ cols, rows })
      } catch (error) {
        claimed.connection.close()
        return refuse(503, `The machine did not open a shell: ${error instanceof Error ? error.message : String(error)}`)
      }
      if (!deps.machineExists(claimed.domain, claimed.machineId)) {
        channel.close()
        claimed.connection.close()
        return refuse(404, `Machine ${claimed.machineId} was deleted; its tickets are void`)
      }
      return {
        accept: true,
        abandon: () => {
          channel.close()
          claimed.connection.close()
        },
        open: (peer) => {
          const openedAt = Date.now()
          let bridge: TerminalBridge | undefined
          const recorder = makeTerminalRecorder({
            store: deps.store,
            stream: streamName(TERMINAL_SESSION_CATEGORY, claimed.domain, claimed.ticket),
            domain: claimed.domain,
            actor: { kind: "user", id: claimed.userId },
            correlationId: request.correlationId,
            onFailure: (message) => {
              log("error", "terminal recording failed; ending the session", { ticket: claimed.ticket, error: message })
              bridge?.end("server", "the session could not be recorded", TerminalCloseCode.internal)
            }
          })
          recorder.opened({
            ticket: claimed.ticket,
            machineId: claimed.machineId,
            ownerId: claimed.userId,
            hostname: claimed.hostname,
            port: claimed.port,
            username: claimed.username,
            hostKey: claimed.hostKey,
            cols,
            rows
          })
          bridge = bridgeTerminal({
            channel,
            peer,
            recorder,
            idleMillis: deps.idleMillis,
            onEnd: (by, reason, recorded) => {
              live.delete(bridge!)
              claimed.connection.close()
              log("info", "terminal session ended", {
                ticket: claimed.ticket,
                machineId: claimed.machineId,
                by,
                reason,
                seconds: Math.round((Date.now() - openedAt) / 100) / 10,
                ...bridge!.stats()
              })
              const tracked: Promise<void> = recorded.finally(() => recordings.delete(tracked))
              recordings.add(tracked)
            }
          })
          live.set(bridge, { domain: claimed.domain, machineId: claimed.machineId })
          // Deleted while the socket was being upgraded: the listener above may already have run.
          if (!deps.machineExists(claimed.domain, claimed.machineId)) bridge.end("server", MACHINE_DELETED, TerminalCloseCode.machineDeleted)
          return bridge.session
        }
      }
    },
    close: async () => {
      closing = true
      deps.tickets.closeAll()
      for (const bridge of [...live.keys()]) bridge.end("server", "the server is shutting down", TerminalCloseCode.goingAway)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all([...recordings]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_RECORDING_MILLIS)))
      ])
      clearTimeout(timer)
    }
  }
}
