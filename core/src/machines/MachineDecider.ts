import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { MachineCommand, RegisterMachine } from "./MachineCommands.js"
import type { HostKey, MachineEvent, MachineSecrets } from "./MachineEvents.js"
import { isSealedSecret } from "./SealedSecret.js"

/** What a registered machine holds, deleted or not. */
export interface MachineFields {
  readonly machineId: number
  readonly ownerId: string
  /** Pinned by the first connection; null until then. */
  readonly hostKey: HostKey | null
}

/** Never registered, registered, or deleted (its id stays taken). */
export type MachineState =
  | { readonly _tag: "Absent" }
  | ({ readonly _tag: "Active" } & MachineFields)
  | ({ readonly _tag: "Deleted" } & MachineFields)

const initialState = (): MachineState => ({ _tag: "Absent" })

const evolve = (state: MachineState, event: MachineEvent): MachineState => {
  switch (event.type) {
    case "MachineRegistered":
      return { _tag: "Active", machineId: event.data.machineId, ownerId: event.data.ownerId, hostKey: null }
    case "MachineDeleted":
      // Only a registered machine has later events; anything else in a stream is ignored.
      return state._tag === "Absent" ? state : { ...state, _tag: "Deleted" }
    case "HostKeyPinned":
      return state._tag === "Absent" ? state : { ...state, hostKey: event.data.hostKey }
    case "HostKeyVerified":
    case "HostKeyMismatch":
    case "MachineConnected":
    case "MachineConnectFailed":
      return state
  }
}

const reject = (reason: CommandRejected["reason"], message: string) => Result.fail(new CommandRejected({ reason, message }))

/** Another owner's machine is indistinguishable from a missing one (owner-only, SPEC §9). */
const notFound = () => reject("not_found", "no such machine")

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.trim() !== ""

const registrationProblem = (command: RegisterMachine): string | undefined => {
  if (!Number.isSafeInteger(command.machineId) || command.machineId < 1) return "machine id must be a positive integer"
  for (const field of ["ownerId", "ownerName", "name", "hostname", "port", "username"] as const) {
    if (!nonEmpty(command[field])) return `${field} must not be empty`
  }
  return machineSecretsProblem(command.secrets)
}

/** What a machine's sealed credentials must be wherever they are recorded (registration, re-sealing). */
export const machineSecretsProblem = (secrets: MachineSecrets | undefined): string | undefined => {
  const { password, privateKey, passphrase } = secrets ?? {}
  if (password === undefined && privateKey === undefined) return "a password or a private key is required"
  if (passphrase !== undefined && privateKey === undefined) return "a passphrase needs a private key"
  // Defence in depth: whatever reaches an event must already be ciphertext.
  for (const secret of [password, privateKey, passphrase]) {
    if (secret !== undefined && !isSealedSecret(secret)) return "secrets must be sealed before they are recorded"
  }
  return undefined
}

const sameKey = (a: HostKey, b: HostKey) => a.algorithm === b.algorithm && a.fingerprint === b.fingerprint

const decide = (command: MachineCommand, state: MachineState): Result.Result<ReadonlyArray<MachineEvent>, CommandRejected> => {
  if (command.type === "registerMachine") {
    // Ids are never reused, not even after a delete: an old ticket or audit entry names one machine.
    if (state._tag !== "Absent") return reject("conflict", `machine ${command.machineId} already exists`)
    const problem = registrationProblem(command)
    if (problem !== undefined) return reject("invalid", problem)
    const { type: _, ...data } = command
    return Result.succeed([{ type: "MachineRegistered", data }])
  }
  if (state._tag !== "Active" || state.ownerId !== command.ownerId) return notFound()
  const machineId = state.machineId
  switch (command.type) {
    case "deleteMachine":
      return Result.succeed([{ type: "MachineDeleted", data: { machineId, ownerId: state.ownerId } }])
    case "connectMachine": {
      const { ticket, hostKey } = command
      if (!nonEmpty(ticket)) return reject("invalid", "a connection needs a ticket")
      if (!nonEmpty(hostKey?.algorithm) || !nonEmpty(hostKey?.fingerprint)) return reject("invalid", "the host key is missing")
      if (state.hostKey === null) {
        return Result.succeed([
          { type: "HostKeyPinned", data: { machineId, hostKey } },
          { type: "HostKeyVerified", data: { machineId, ticket, hostKey } }
        ])
      }
      if (sameKey(state.hostKey, hostKey)) return Result.succeed([{ type: "HostKeyVerified", data: { machineId, ticket, hostKey } }])
      // A refusal is a fact worth keeping: it may be an attack, or a reinstalled machine.
      return Result.succeed([{ type: "HostKeyMismatch", data: { machineId, ticket, presented: hostKey, pinned: state.hostKey } }])
    }
    case "recordConnectOutcome":
      if (!nonEmpty(command.ticket)) return reject("invalid", "a connection needs a ticket")
      return Result.succeed([
        command.failure === null
          ? { type: "MachineConnected", data: { machineId, ticket: command.ticket } }
          : { type: "MachineConnectFailed", data: { machineId, ticket: command.ticket, reason: command.failure } }
      ])
  }
}

export const machineDecider: Decider<MachineState, MachineCommand, MachineEvent> = { initialState, evolve, decide }
