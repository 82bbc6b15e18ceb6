import type { HostKey, MachineRegistration } from "./MachineEvents.js"

/** Registers a machine under the id its stream names; the edge sealed the secrets before sending. */
export interface RegisterMachine extends MachineRegistration {
  readonly type: "registerMachine"
}

export interface DeleteMachine {
  readonly type: "deleteMachine"
  readonly ownerId: string
}

/**
 * Sent by the edge while the SSH handshake waits on host verification: the decider pins the key on
 * first contact, accepts the pinned one, and refuses any other before credentials leave the server.
 */
export interface ConnectMachine {
  readonly type: "connectMachine"
  readonly ownerId: string
  readonly ticket: string
  readonly hostKey: HostKey
}

/** How the connection begun by `connectMachine` ended: open (`failure` null) or failed. */
export interface RecordConnectOutcome {
  readonly type: "recordConnectOutcome"
  readonly ownerId: string
  readonly ticket: string
  readonly failure: string | null
}

export type MachineCommand = RegisterMachine | DeleteMachine | ConnectMachine | RecordConnectOutcome
