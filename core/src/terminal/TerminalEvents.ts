import type { DomainEvent } from "../decider/Decider.js"
import type { HostKey } from "../machines/MachineEvents.js"

/**
 * A recorded SSH terminal session. Stream `sshsession-<domain>-<ticket>`, written only by the node
 * that bridges the session (a single writer, so it appends straight to the store with exact expected
 * versions instead of going through a command per keystroke). `t` is milliseconds since the session
 * opened (monotonic clock); each event's `meta.at` carries the wall-clock instant.
 */
export const TERMINAL_SESSION_CATEGORY = "sshsession"

export type TerminalOpened = DomainEvent<"TerminalOpened", {
  readonly ticket: string
  readonly machineId: number
  readonly ownerId: string
  readonly hostname: string
  readonly port: string
  readonly username: string
  readonly hostKey: HostKey
  readonly cols: number
  readonly rows: number
}>

/** Bytes the user sent to the machine. */
export type TerminalInput = DomainEvent<"TerminalInput", { readonly t: number; readonly data: Uint8Array }>

/** Bytes the machine sent to the user: consecutive chunks may be merged, never reordered or altered. */
export type TerminalOutput = DomainEvent<"TerminalOutput", { readonly t: number; readonly data: Uint8Array }>

export type TerminalResized = DomainEvent<"TerminalResized", { readonly t: number; readonly cols: number; readonly rows: number }>

/** Who ended the session: the user's socket, the machine's shell, the idle timeout, or the server. */
export type TerminalCloser = "client" | "machine" | "idle" | "server"

export type TerminalClosed = DomainEvent<"TerminalClosed", { readonly t: number; readonly by: TerminalCloser; readonly reason: string }>

export type TerminalEvent = TerminalOpened | TerminalInput | TerminalOutput | TerminalResized | TerminalClosed
