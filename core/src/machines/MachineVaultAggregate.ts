import { Result } from "effect"
import type { Command } from "../commands/Command.js"
import { CommandRejected } from "../commands/errors.js"
import type { Decider, DomainEvent } from "../decider/Decider.js"
import { fromDecider } from "../decider/fromDecider.js"
import { isSealedSecret, type KeyDerivation, type SealedSecret } from "./SealedSecret.js"

/**
 * The per-user keying record of SSH machines. Stream `machinevault-<home domain>-<userId>`: one per
 * user across domains, so one master password opens all of a user's machines. It holds the salt and
 * cost of the key derivation and a check value (a constant sealed with the derived key) that tells a
 * wrong master password apart before any machine secret is touched. It is its own stream rather than
 * part of the user's: it is created lazily with the first machine, and logins never fold it.
 */
export const MACHINE_VAULT_CATEGORY = "machinevault"

export type MachineVaultCreated = DomainEvent<"MachineVaultCreated", {
  readonly ownerId: string
  readonly kdf: KeyDerivation
  readonly check: SealedSecret
}>

/** A master password did not open the vault (audit trail for guessing). */
export type MasterPasswordRejected = DomainEvent<"MasterPasswordRejected", {
  readonly ownerId: string
  readonly machineId: number | null
  readonly address: string | null
}>

export type MachineVaultEvent = MachineVaultCreated | MasterPasswordRejected

export type MachineVaultCommand =
  | { readonly type: "createVault"; readonly ownerId: string; readonly kdf: KeyDerivation; readonly check: SealedSecret }
  | { readonly type: "rejectMasterPassword"; readonly ownerId: string; readonly machineId: number | null; readonly address: string | null }

export interface MachineVaultState {
  readonly exists: boolean
  readonly ownerId: string
}

const validKdf = (kdf: KeyDerivation | undefined): boolean =>
  kdf !== undefined && kdf.algorithm === "scrypt" && [kdf.logN, kdf.r, kdf.p].every(Number.isSafeInteger) &&
  kdf.logN >= 10 && kdf.logN <= 22 && typeof kdf.salt === "string" && kdf.salt.length >= 16

export const machineVaultDecider: Decider<MachineVaultState, MachineVaultCommand, MachineVaultEvent> = {
  initialState: () => ({ exists: false, ownerId: "" }),
  evolve: (state, event) => (event.type === "MachineVaultCreated" ? { exists: true, ownerId: event.data.ownerId } : state),
  decide: (command, state) => {
    switch (command.type) {
      case "createVault":
        // Two first machines created at once: the second learns of the first and derives with its salt.
        if (state.exists) return Result.fail(new CommandRejected({ reason: "conflict", message: "the vault already exists" }))
        if (!validKdf(command.kdf) || !isSealedSecret(command.check)) {
          return Result.fail(new CommandRejected({ reason: "invalid", message: "a vault needs scrypt parameters and a sealed check value" }))
        }
        return Result.succeed([{ type: "MachineVaultCreated", data: { ownerId: command.ownerId, kdf: command.kdf, check: command.check } }])
      case "rejectMasterPassword":
        if (!state.exists) return Result.fail(new CommandRejected({ reason: "not_found", message: "no vault" }))
        return Result.succeed([{
          type: "MasterPasswordRejected",
          data: { ownerId: state.ownerId, machineId: command.machineId, address: command.address }
        }])
    }
  }
}

export const machineVaultAggregate = fromDecider({
  category: MACHINE_VAULT_CATEGORY,
  decider: machineVaultDecider,
  toCommand: (command: Command): MachineVaultCommand | undefined => {
    const payload = command.payload as Record<string, unknown> | null
    if (payload === null || typeof payload !== "object") return undefined
    switch (command.type) {
      case "createVault":
      case "rejectMasterPassword":
        return { ...payload, type: command.type, ownerId: command.aggregateId } as MachineVaultCommand
      default:
        return undefined
    }
  }
})
