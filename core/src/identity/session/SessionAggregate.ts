import { fromDecider } from "../../decider/fromDecider.js"
import { SESSION_COMMANDS } from "./SessionCommands.js"
import { sessionDecider } from "./SessionDecider.js"
import { SESSION_EVENTS } from "./SessionEvents.js"

/** Stream `session-<domain>-<sessionId>`. */
export const SESSION_CATEGORY = "session"

/** What every session command answers. */
export interface SessionReply {
  readonly sessionId: string
  readonly userId: string
  readonly refreshExpiresAt: number
  readonly revoked: boolean
}

/**
 * Commands may arrive over NATS from another process, so their payloads are decoded by their Schemas
 * rather than trusted. The session id is the aggregate id; who revokes is the command's actor, never
 * the payload.
 */
export const sessionAggregate = fromDecider({
  category: SESSION_CATEGORY,
  decider: sessionDecider,
  commands: SESSION_COMMANDS,
  events: SESSION_EVENTS,
  fromEnvelope: (command) => ({ sessionId: command.aggregateId, by: command.actor.id }),
  reply: (state): SessionReply =>
    state._tag === "Absent"
      // Unreachable: every session command but the opening one is refused before the session exists.
      ? { sessionId: "", userId: "", refreshExpiresAt: 0, revoked: false }
      : { sessionId: state.sessionId, userId: state.userId, refreshExpiresAt: state.refreshExpiresAt, revoked: state._tag === "Revoked" }
})
