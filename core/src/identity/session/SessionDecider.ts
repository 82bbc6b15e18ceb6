import { Result } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import type { SessionCommand } from "./SessionCommands.js"
import type { SessionEvent } from "./SessionEvents.js"

export interface SessionState {
  readonly exists: boolean
  readonly sessionId: string
  readonly userId: string
  readonly refreshExpiresAt: number
  readonly revoked: boolean
}

const initialState = (): SessionState => ({ exists: false, sessionId: "", userId: "", refreshExpiresAt: 0, revoked: false })

const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  switch (event.type) {
    case "SessionOpened":
      return {
        exists: true,
        sessionId: event.data.sessionId,
        userId: event.data.userId,
        refreshExpiresAt: event.data.refreshExpiresAt,
        revoked: false
      }
    case "SessionRefreshed":
      return state
    case "SessionRevoked":
      return { ...state, revoked: true }
  }
}

const notFound = new CommandRejected({ reason: "not_found", message: "no such session" })

const decide = (command: SessionCommand, state: SessionState): Result.Result<ReadonlyArray<SessionEvent>, CommandRejected> => {
  switch (command.type) {
    case "openSession": {
      if (state.exists) return Result.fail(new CommandRejected({ reason: "conflict", message: `session ${command.sessionId} already exists` }))
      if (!Number.isSafeInteger(command.refreshExpiresAt) || command.refreshExpiresAt <= 0) {
        return Result.fail(new CommandRejected({ reason: "invalid", message: "refreshExpiresAt must be a positive integer (seconds since the epoch)" }))
      }
      return Result.succeed([{
        type: "SessionOpened",
        data: { sessionId: command.sessionId, userId: command.userId, refreshExpiresAt: command.refreshExpiresAt, address: command.address }
      }])
    }
    case "refreshSession": {
      if (!state.exists) return Result.fail(notFound)
      // A refresh token of another user naming this session is as good as no token.
      if (command.userId !== state.userId) return Result.fail(new CommandRejected({ reason: "unauthorized", message: "the refresh token does not belong to this session" }))
      if (state.revoked) return Result.fail(new CommandRejected({ reason: "unauthorized", message: "the session was revoked; log in again" }))
      if (command.now >= state.refreshExpiresAt) return Result.fail(new CommandRejected({ reason: "unauthorized", message: "the session has expired; log in again" }))
      return Result.succeed([{ type: "SessionRefreshed", data: { sessionId: state.sessionId } }])
    }
    case "revokeSession": {
      if (!state.exists) return Result.fail(notFound)
      // Revoking twice changes nothing, so a retried DELETE is harmless.
      if (state.revoked) return Result.succeed([])
      return Result.succeed([{ type: "SessionRevoked", data: { sessionId: state.sessionId, by: command.by } }])
    }
  }
}

export const sessionDecider: Decider<SessionState, SessionCommand, SessionEvent> = { initialState, evolve, decide }
