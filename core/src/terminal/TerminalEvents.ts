import { Schema } from "effect"
import { EventSchema } from "../decider/Schemas.js"
import { HostKey } from "../machines/MachineEvents.js"

/**
 * A recorded SSH terminal session. Stream `sshsession-<domain>-<ticket>`, written only by the node
 * that bridges the session (a single writer, so it appends straight to the store with exact expected
 * versions instead of going through a command per keystroke). `t` is milliseconds since the session
 * opened (monotonic clock); each event's `meta.at` carries the wall-clock instant.
 */
export const TERMINAL_SESSION_CATEGORY = "sshsession"

const t = Schema.Number.annotate({ description: "Milliseconds since the session opened (monotonic clock)." })

export const TerminalOpened = EventSchema("TerminalOpened", {
  ticket: Schema.String,
  machineId: Schema.Number,
  ownerId: Schema.String,
  hostname: Schema.String,
  port: Schema.String,
  username: Schema.String,
  hostKey: HostKey,
  cols: Schema.Number,
  rows: Schema.Number
})
export type TerminalOpened = typeof TerminalOpened.Type

/** Bytes the user sent to the machine. */
export const TerminalInput = EventSchema("TerminalInput", { t, data: Schema.Uint8Array }, "Bytes the user sent to the machine.")
export type TerminalInput = typeof TerminalInput.Type

/** Bytes the machine sent to the user: consecutive chunks may be merged, never reordered or altered. */
export const TerminalOutput = EventSchema(
  "TerminalOutput",
  { t, data: Schema.Uint8Array },
  "Bytes the machine sent to the user: consecutive chunks may be merged, never reordered or altered."
)
export type TerminalOutput = typeof TerminalOutput.Type

export const TerminalResized = EventSchema("TerminalResized", { t, cols: Schema.Number, rows: Schema.Number })
export type TerminalResized = typeof TerminalResized.Type

/** Who ended the session: the user's socket, the machine's shell, the idle timeout, or the server. */
export const TerminalCloser = Schema.Literals(["client", "machine", "idle", "server"]).annotate({
  identifier: "TerminalCloser",
  description: "Who ended the session: the user's socket, the machine's shell, the idle timeout, or the server."
})
export type TerminalCloser = typeof TerminalCloser.Type

export const TerminalClosed = EventSchema("TerminalClosed", { t, by: TerminalCloser, reason: Schema.String })
export type TerminalClosed = typeof TerminalClosed.Type

export type TerminalEvent = TerminalOpened | TerminalInput | TerminalOutput | TerminalResized | TerminalClosed
