import { Result, Schema } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import { fromDecider } from "../decider/fromDecider.js"
import { CommandSchema, EventSchema, type AnyCommandSchema, type AnyEventSchema } from "../decider/Schemas.js"
import { machineSecretsProblem } from "./MachineDecider.js"
import { MachineSecrets } from "./MachineEvents.js"
import { isSealedSecret, KeyDerivation, SealedSecretSchema, type SealedSecret } from "./SealedSecret.js"

/**
 * The per-user keying record of SSH machines. Stream `machinevault-<home domain>-<userId>`: one per
 * user across domains, so one master password opens all of a user's machines. It holds the salt and
 * cost of the key derivation and a check value (a constant sealed with the derived key) that tells a
 * wrong master password apart before any machine secret is touched. It is its own stream rather than
 * part of the user's: it is created lazily with the first machine, and logins never fold it.
 */
export const MACHINE_VAULT_CATEGORY = "machinevault"

export const MachineVaultCreated = EventSchema("MachineVaultCreated", {
  ownerId: Schema.String,
  kdf: KeyDerivation,
  check: SealedSecretSchema
})
export type MachineVaultCreated = typeof MachineVaultCreated.Type

/** A master password did not open the vault (audit trail for guessing). */
export const MasterPasswordRejected = EventSchema("MasterPasswordRejected", {
  ownerId: Schema.String,
  machineId: Schema.NullOr(Schema.Number),
  address: Schema.NullOr(Schema.String)
}, "A master password did not open the vault (audit trail for guessing).")
export type MasterPasswordRejected = typeof MasterPasswordRejected.Type

/** One machine's credentials sealed again, under the key of the vault's current master password. */
export const ResealedMachine = Schema.Struct({
  domain: Schema.String,
  machineId: Schema.Number,
  secrets: MachineSecrets
}).annotate({ identifier: "ResealedMachine", description: "One machine's credentials sealed again, under the key of the vault's current master password." })
export type ResealedMachine = typeof ResealedMachine.Type

/**
 * The master password changed: a new salt and check value, and every machine of the owner (in every
 * domain) with its credentials sealed under the new key. One event carries them all, so the change is
 * all or nothing: no crash can leave some machines sealed under the old password and some under the
 * new. The ciphertexts sealed under the old key stay in the log's history; reads use these.
 */
export const MasterPasswordChanged = EventSchema("MasterPasswordChanged", {
  ownerId: Schema.String,
  kdf: KeyDerivation,
  check: SealedSecretSchema,
  machines: Schema.Array(ResealedMachine)
}, "The master password changed: a new salt and check value, and every machine of the owner (in every domain) with its credentials sealed under the new key. One event carries them all, so the change is all or nothing: no crash can leave some machines sealed under the old password and some under the new. The ciphertexts sealed under the old key stay in the log's history; reads use these.")
export type MasterPasswordChanged = typeof MasterPasswordChanged.Type

/**
 * Machines registered under the old master password while it was being changed (they raced the
 * change and so were not in it), sealed again under the current one by the request that changed it.
 */
export const MachineSecretsResealed = EventSchema("MachineSecretsResealed", {
  ownerId: Schema.String,
  machines: Schema.Array(ResealedMachine)
}, "Machines registered under the old master password while it was being changed (they raced the change and so were not in it), sealed again under the current one by the request that changed it.")
export type MachineSecretsResealed = typeof MachineSecretsResealed.Type

export type MachineVaultEvent = MachineVaultCreated | MasterPasswordRejected | MasterPasswordChanged | MachineSecretsResealed

const MACHINE_VAULT_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: MachineVaultEvent }> = [
  MachineVaultCreated,
  MasterPasswordRejected,
  MasterPasswordChanged,
  MachineSecretsResealed
]

/*
 * The vault's owner (`ownerId`) is the stream's id, filled in from the envelope: no payload names it.
 * The schemas are as loose as the rules need (numbers, strings): the decider refuses weak derivations
 * and unsealed values with its own words.
 */
const ownerId = Schema.String
export const CreateVault = CommandSchema("createVault", { ownerId, kdf: KeyDerivation, check: SealedSecretSchema })
export const RejectMasterPassword = CommandSchema("rejectMasterPassword", {
  ownerId,
  machineId: Schema.NullOr(Schema.Number),
  address: Schema.NullOr(Schema.String)
})
export const ChangeMasterPassword = CommandSchema("changeMasterPassword", {
  ownerId,
  /** The check value the old master password opened: a change based on a superseded password is refused. */
  previousCheck: SealedSecretSchema,
  kdf: KeyDerivation,
  check: SealedSecretSchema,
  machines: Schema.Array(ResealedMachine)
})
export const ResealMachines = CommandSchema("resealMachines", {
  ownerId,
  /** The check value of the key the machines were sealed with: it must be the vault's current one. */
  check: SealedSecretSchema,
  machines: Schema.Array(ResealedMachine)
})

export type MachineVaultCommand =
  | typeof CreateVault.Type
  | typeof RejectMasterPassword.Type
  | typeof ChangeMasterPassword.Type
  | typeof ResealMachines.Type

const MACHINE_VAULT_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: MachineVaultCommand }> = [
  CreateVault,
  RejectMasterPassword,
  ChangeMasterPassword,
  ResealMachines
]

/** Not created yet (the user has no machine so far), or created with its current keying. */
export type MachineVaultState =
  | { readonly _tag: "Absent" }
  | {
    readonly _tag: "Active"
    readonly ownerId: string
    /** The current check value (which master password opens the vault now). */
    readonly check: SealedSecret
    /** The current key derivation's salt. */
    readonly salt: string
  }

const validKdf = (kdf: KeyDerivation | undefined): boolean =>
  kdf !== undefined && kdf.algorithm === "scrypt" && [kdf.logN, kdf.r, kdf.p].every(Number.isSafeInteger) &&
  kdf.logN >= 10 && kdf.logN <= 22 && typeof kdf.salt === "string" && kdf.salt.length >= 16

const reject = (reason: CommandRejected["reason"], message: string) => Result.fail(new CommandRejected({ reason, message }))

/** Each machine named once, by a domain and a positive id, with credentials that are all sealed. */
const machinesProblem = (machines: ReadonlyArray<ResealedMachine> | undefined): string | undefined => {
  if (!Array.isArray(machines)) return "machines must be a list"
  const seen = new Set<string>()
  for (const machine of machines) {
    if (typeof machine?.domain !== "string" || machine.domain === "") return "each machine needs its domain"
    if (!Number.isSafeInteger(machine.machineId) || machine.machineId < 1) return "each machine needs a positive id"
    const key = `${machine.domain}\u0000${machine.machineId}`
    if (seen.has(key)) return `machine ${machine.machineId} of domain ${machine.domain} is listed twice`
    seen.add(key)
    const problem = machineSecretsProblem(machine.secrets)
    if (problem !== undefined) return `machine ${machine.machineId} of domain ${machine.domain}: ${problem}`
  }
  return undefined
}

const resealed = (machines: ReadonlyArray<ResealedMachine>): ReadonlyArray<ResealedMachine> =>
  machines.map(({ domain, machineId, secrets }) => ({ domain, machineId, secrets }))

export const machineVaultDecider: Decider<MachineVaultState, MachineVaultCommand, MachineVaultEvent> = {
  initialState: () => ({ _tag: "Absent" }),
  evolve: (state, event) => {
    switch (event.type) {
      case "MachineVaultCreated":
        return { _tag: "Active", ownerId: event.data.ownerId, check: event.data.check, salt: event.data.kdf.salt }
      case "MasterPasswordChanged":
        // Only a created vault changes; anything else in a stream is ignored.
        return state._tag === "Absent" ? state : { ...state, check: event.data.check, salt: event.data.kdf.salt }
      case "MasterPasswordRejected":
      case "MachineSecretsResealed":
        return state
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case "createVault":
        // Two first machines created at once: the second learns of the first and derives with its salt.
        if (state._tag === "Active") return reject("conflict", "the vault already exists")
        if (!validKdf(command.kdf) || !isSealedSecret(command.check)) {
          return reject("invalid", "a vault needs scrypt parameters and a sealed check value")
        }
        return Result.succeed([{ type: "MachineVaultCreated", data: { ownerId: command.ownerId, kdf: command.kdf, check: command.check } }])
      case "rejectMasterPassword":
        if (state._tag === "Absent") return reject("not_found", "no vault")
        return Result.succeed([{
          type: "MasterPasswordRejected",
          data: { ownerId: state.ownerId, machineId: command.machineId, address: command.address }
        }])
      case "changeMasterPassword": {
        if (state._tag === "Absent") return reject("not_found", "no vault")
        // Two changes at once: the second re-sealed what the first has replaced, so it must start over.
        if (command.previousCheck !== state.check) return reject("conflict", "the master password was changed meanwhile")
        if (!validKdf(command.kdf) || !isSealedSecret(command.check)) {
          return reject("invalid", "a new master password needs scrypt parameters and a sealed check value")
        }
        if (command.kdf.salt === state.salt) return reject("invalid", "a new master password needs a new salt")
        const problem = machinesProblem(command.machines)
        if (problem !== undefined) return reject("invalid", problem)
        return Result.succeed([{
          type: "MasterPasswordChanged",
          data: { ownerId: state.ownerId, kdf: command.kdf, check: command.check, machines: resealed(command.machines) }
        }])
      }
      case "resealMachines": {
        if (state._tag === "Absent") return reject("not_found", "no vault")
        if (command.check !== state.check) return reject("conflict", "the machines must be sealed under the current master password")
        const problem = machinesProblem(command.machines)
        if (problem !== undefined) return reject("invalid", problem)
        if (command.machines.length === 0) return Result.succeed([])
        return Result.succeed([{ type: "MachineSecretsResealed", data: { ownerId: state.ownerId, machines: resealed(command.machines) } }])
      }
    }
  }
}

export const machineVaultAggregate = fromDecider({
  category: MACHINE_VAULT_CATEGORY,
  decider: machineVaultDecider,
  commands: MACHINE_VAULT_COMMANDS,
  events: MACHINE_VAULT_EVENTS,
  fromEnvelope: (command) => ({ ownerId: command.aggregateId })
})
