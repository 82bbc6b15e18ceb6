import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"
import { SealedSecretSchema } from "./SealedSecret.js"

/** The SSH credentials of a machine, each sealed with the owner's master key (never plaintext). */
export const MachineSecrets = Schema.Struct({
  password: Schema.optionalKey(SealedSecretSchema),
  privateKey: Schema.optionalKey(SealedSecretSchema),
  passphrase: Schema.optionalKey(SealedSecretSchema)
}).annotate({
  identifier: "MachineSecrets",
  description: "The SSH credentials of a machine, each sealed with the owner's master key (never plaintext)."
})
export type MachineSecrets = typeof MachineSecrets.Type

/** A server's host key as presented during the SSH handshake: its type and SHA-256 fingerprint. */
export const HostKey = Schema.Struct({
  algorithm: Schema.String,
  fingerprint: Schema.String.annotate({ description: "OpenSSH style: `SHA256:<base64 without padding>`" })
}).annotate({
  identifier: "HostKey",
  description: "A server's host key as presented during the SSH handshake: its type and SHA-256 fingerprint."
})
export type HostKey = typeof HostKey.Type

/** What registering a machine records: the command carries it (but its id), the event keeps it. */
export const machineRegistrationFields = {
  machineId: Schema.Number,
  ownerId: Schema.String,
  ownerName: Schema.String.annotate({ description: "The owner's username, answered as `owner_id` (the seed's \"user who owns this machine\")." }),
  name: Schema.String,
  hostname: Schema.String,
  port: Schema.String,
  username: Schema.String,
  organization: Schema.NullOr(Schema.String),
  secrets: MachineSecrets
}

export const MachineRegistered = EventSchema("MachineRegistered", machineRegistrationFields)
export type MachineRegistered = typeof MachineRegistered.Type
export type MachineRegistration = MachineRegistered["data"]

export const MachineDeleted = EventSchema("MachineDeleted", { machineId: Schema.Number, ownerId: Schema.String })
export type MachineDeleted = typeof MachineDeleted.Type

/** The first connection pinned the host key: later connections must present the same one. */
export const HostKeyPinned = EventSchema(
  "HostKeyPinned",
  { machineId: Schema.Number, hostKey: HostKey },
  "The first connection pinned the host key: later connections must present the same one."
)
export type HostKeyPinned = typeof HostKeyPinned.Type

/** A connection (ticket) found the expected host key; credentials are presented only after this. */
export const HostKeyVerified = EventSchema(
  "HostKeyVerified",
  { machineId: Schema.Number, ticket: Schema.String, hostKey: HostKey },
  "A connection (ticket) found the expected host key; credentials are presented only after this."
)
export type HostKeyVerified = typeof HostKeyVerified.Type

/** A connection was refused because the host presented another key than the pinned one. */
export const HostKeyMismatch = EventSchema(
  "HostKeyMismatch",
  { machineId: Schema.Number, ticket: Schema.String, presented: HostKey, pinned: HostKey },
  "A connection was refused because the host presented another key than the pinned one."
)
export type HostKeyMismatch = typeof HostKeyMismatch.Type

/** The SSH connection is open and waits for its terminal socket under `ticket`. */
export const MachineConnected = EventSchema(
  "MachineConnected",
  { machineId: Schema.Number, ticket: Schema.String },
  "The SSH connection is open and waits for its terminal socket under `ticket`."
)
export type MachineConnected = typeof MachineConnected.Type

/** The connection failed after the host key was verified (e.g. the machine refused the credentials). */
export const MachineConnectFailed = EventSchema(
  "MachineConnectFailed",
  { machineId: Schema.Number, ticket: Schema.String, reason: Schema.String },
  "The connection failed after the host key was verified (e.g. the machine refused the credentials)."
)
export type MachineConnectFailed = typeof MachineConnectFailed.Type

export type MachineEvent =
  | MachineRegistered
  | MachineDeleted
  | HostKeyPinned
  | HostKeyVerified
  | HostKeyMismatch
  | MachineConnected
  | MachineConnectFailed

export const MACHINE_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: MachineEvent }> = [
  MachineRegistered,
  MachineDeleted,
  HostKeyPinned,
  HostKeyVerified,
  HostKeyMismatch,
  MachineConnected,
  MachineConnectFailed
]
