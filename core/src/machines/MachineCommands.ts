import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { HostKey, machineRegistrationFields, type MachineRegistration } from "./MachineEvents.js"

/**
 * Registers a machine under the id its stream names (so the payload carries no id); the edge sealed
 * the secrets before sending.
 */
const { machineId: _, ...registrationPayload } = machineRegistrationFields
export const RegisterMachinePayload = CommandSchema("registerMachine", registrationPayload)

/** What the decider sees: the registration with the id from the stream. */
export interface RegisterMachine extends MachineRegistration {
  readonly type: "registerMachine"
}

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

/** The commands as the edge sends them (registration without its id). */
export type MachineCommandPayload = typeof RegisterMachinePayload.Type | DeleteMachine | ConnectMachine | RecordConnectOutcome

export const MACHINE_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: MachineCommandPayload }> = [
  RegisterMachinePayload,
  DeleteMachine,
  ConnectMachine,
  RecordConnectOutcome
]
