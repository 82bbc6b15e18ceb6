import type { DomainEvent } from "../decider/Decider.js"
import type { SealedSecret } from "./SealedSecret.js"

/** The SSH credentials of a machine, each sealed with the owner's master key (never plaintext). */
export interface MachineSecrets {
  readonly password?: SealedSecret
  readonly privateKey?: SealedSecret
  readonly passphrase?: SealedSecret
}

/** A server's host key as presented during the SSH handshake: its type and SHA-256 fingerprint. */
export interface HostKey {
  readonly algorithm: string
  /** OpenSSH style: `SHA256:<base64 without padding>` */
  readonly fingerprint: string
}

/** What registering a machine records: the command carries it, the event keeps it. */
export interface MachineRegistration {
  readonly machineId: number
  readonly ownerId: string
  /** The owner's username, answered as `owner_id` (the seed's "user who owns this machine"). */
  readonly ownerName: string
  readonly name: string
  readonly hostname: string
  readonly port: string
  readonly username: string
  readonly organization: string | null
  readonly secrets: MachineSecrets
}

export type MachineRegistered = DomainEvent<"MachineRegistered", MachineRegistration>

export type MachineDeleted = DomainEvent<"MachineDeleted", { readonly machineId: number; readonly ownerId: string }>

/** The first connection pinned the host key: later connections must present the same one. */
export type HostKeyPinned = DomainEvent<"HostKeyPinned", { readonly machineId: number; readonly hostKey: HostKey }>

/** A connection (ticket) found the expected host key; credentials are presented only after this. */
export type HostKeyVerified = DomainEvent<"HostKeyVerified", { readonly machineId: number; readonly ticket: string; readonly hostKey: HostKey }>

/** A connection was refused because the host presented another key than the pinned one. */
export type HostKeyMismatch = DomainEvent<"HostKeyMismatch", {
  readonly machineId: number
  readonly ticket: string
  readonly presented: HostKey
  readonly pinned: HostKey
}>

/** The SSH connection is open and waits for its terminal socket under `ticket`. */
export type MachineConnected = DomainEvent<"MachineConnected", { readonly machineId: number; readonly ticket: string }>

/** The connection failed after the host key was verified (e.g. the machine refused the credentials). */
export type MachineConnectFailed = DomainEvent<"MachineConnectFailed", { readonly machineId: number; readonly ticket: string; readonly reason: string }>

export type MachineEvent =
  | MachineRegistered
  | MachineDeleted
  | HostKeyPinned
  | HostKeyVerified
  | HostKeyMismatch
  | MachineConnected
  | MachineConnectFailed
