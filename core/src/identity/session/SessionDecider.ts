import { Result } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import type { SessionCommand } from "./SessionCommands.js"
import type { SessionEvent } from "./SessionEvents.js"

/** A session: absent until opened; once revoked it stays revoked. */
export type SessionState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Open" | "Revoked"; readonly sessionId: string; readonly userId: string; readonly refreshExpiresAt: number }

const initialState = (): SessionState => ({ _tag: "Absent" })

const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  switch (event.type) {
    case "SessionOpened":
      return { _tag: "Open", sessionId: event.data.sessionId, userId: event.data.userId, refreshExpiresAt: event.data.refreshExpiresAt }
    case "SessionRefreshed":
      return state
    case "SessionRevoked":
      return state._tag === "Absent" ? state : { ...state, _tag: "Revoked" }
  }
}

const notFound = new CommandRejected({ reason: "not_found", message: "no such session" })

const decide = (command: SessionCommand, state: SessionState): Result.Result<ReadonlyArray<SessionEvent>, CommandRejected> => {
  switch (command.type) {
    case "openSession": {
      if (state._tag !== "Absent") return Result.fail(new CommandRejected({ reason: "conflict", message: `session ${command.sessionId} already exists` }))
      if (!Number.isSafeInteger(command.refreshExpiresAt) || command.refreshExpiresAt <= 0) {
        return Result.fail(new CommandRejected({ reason: "invalid", message: "refreshExpiresAt must be a positive integer (seconds since the epoch)" }))
      }
      return Result.succeed([{
        type: "SessionOpened",
        data: { sessionId: command.sessionId, userId: command.userId, refreshExpiresAt: command.refreshExpiresAt, address: command.address ?? null }
      }])
    }
    case "refreshSession": {
      if (state._tag === "Absent") return Result.fail(notFound)
      // A refresh token of another user naming this session is as good as no token.
      if (command.userId !== state.userId) return Result.fail(new CommandRejected({ reason: "unauthorized", message: "the refresh token does not belong to this session" }))
      if (state._tag === "Revoked") return Result.fail(new CommandRejected({ reason: "unauthorized", message: "the session was revoked; log in again" }))
      if (command.now >= state.refreshExpiresAt) return Result.fail(new CommandRejected({ reason: "unauthorized", message: "the session has expired; log in again" }))
      return Result.succeed([{ type: "SessionRefreshed", data: { sessionId: state.sessionId } }])
    }
    case "revokeSession": {
      if (state._tag === "Absent") return Result.fail(notFound)
      // Revoking twice changes nothing, so a retried DELETE is harmless.
      if (state._tag === "Revoked") return Result.succeed([])
      return Result.succeed([{ type: "SessionRevoked", data: { sessionId: state.sessionId, by: command.by } }])
    }
  }
}

export const sessionDecider: Decider<SessionState, SessionCommand, SessionEvent> = { initialState, evolve, decide }
