import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { HostKey, machineRegistrationFields } from "./MachineEvents.js"

/**
 * Registers a machine under the id its stream names (`machineId` comes from the envelope, never from
 * the payload); the edge sealed the secrets before sending.
 */
export const RegisterMachine = CommandSchema("registerMachine", machineRegistrationFields)
export type RegisterMachine = typeof RegisterMachine.Type

export const DeleteMachine = CommandSchema("deleteMachine", { ownerId: Schema.String })
export type DeleteMachine = typeof DeleteMachine.Type

/**
 * Sent by the edge while the SSH handshake waits on host verification: the decider pins the key on
 * first contact, accepts the pinned one, and refuses any other before credentials leave the server.
 */
export const ConnectMachine = CommandSchema("connectMachine", { ownerId: Schema.String, ticket: Schema.String, hostKey: HostKey })
export type ConnectMachine = typeof ConnectMachine.Type

/** How the connection begun by `connectMachine` ended: open (`failure` null) or failed. */
export const RecordConnectOutcome = CommandSchema("recordConnectOutcome", {
  ownerId: Schema.String,
  ticket: Schema.String,
  failure: Schema.NullOr(Schema.String)
})
export type RecordConnectOutcome = typeof RecordConnectOutcome.Type

export type MachineCommand = RegisterMachine | DeleteMachine | ConnectMachine | RecordConnectOutcome

export const MACHINE_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: MachineCommand }> = [
  RegisterMachine,
  DeleteMachine,
  ConnectMachine,
  RecordConnectOutcome
]
