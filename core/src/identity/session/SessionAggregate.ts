import type { Command } from "../../commands/Command.js"
import { fromDecider } from "../../decider/fromDecider.js"
import type { SessionCommand } from "./SessionCommands.js"
import { sessionDecider, type SessionState } from "./SessionDecider.js"
import type { SessionEvent } from "./SessionEvents.js"

/** Stream `session-<domain>-<sessionId>`. */
export const SESSION_CATEGORY = "session"

/** What every session command answers. */
export interface SessionReply {
  readonly sessionId: string
  readonly userId: string
  readonly refreshExpiresAt: number
  readonly revoked: boolean
}

const isInteger = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value)

/**
 * Commands may arrive over NATS from another process, so their payloads are checked here rather than
 * trusted. The session id is the aggregate id; who revokes is the command's actor, never the payload.
 */
const toSessionCommand = (command: Command): SessionCommand | undefined => {
  const payload = command.payload as Record<string, unknown> | null
  if (payload === null || typeof payload !== "object") return undefined
  const sessionId = command.aggregateId
  switch (command.type) {
    case "openSession": {
      const { userId, refreshExpiresAt, address } = payload
      if (typeof userId !== "string" || !isInteger(refreshExpiresAt)) return undefined
      return { type: "openSession", sessionId, userId, refreshExpiresAt, address: typeof address === "string" ? address : null }
    }
    case "refreshSession": {
      const { userId, now } = payload
      if (typeof userId !== "string" || !isInteger(now)) return undefined
      return { type: "refreshSession", sessionId, userId, now }
    }
    case "revokeSession":
      return { type: "revokeSession", sessionId, by: command.actor.id }
    default:
      return undefined
  }
}

export const sessionAggregate = fromDecider<SessionState, SessionCommand, SessionEvent>({
  category: SESSION_CATEGORY,
  decider: sessionDecider,
  toCommand: toSessionCommand,
  reply: (state): SessionReply => ({
    sessionId: state.sessionId,
    userId: state.userId,
    refreshExpiresAt: state.refreshExpiresAt,
    revoked: state.revoked
  })
})
