import type { MachineSecrets } from "@machhub/core"
import { openSecret, sealSecret } from "./SecretBox.js"

/** Which machine and owner a secret belongs to: bound into every ciphertext as associated data. */
export interface MachineBinding {
  readonly domain: string
  readonly machineId: number
  readonly ownerId: string
}

export interface PlainMachineSecrets {
  readonly password?: string
  readonly privateKey?: string
  readonly passphrase?: string
}

const FIELDS = ["password", "privateKey", "passphrase"] as const

const aad = (binding: MachineBinding, field: (typeof FIELDS)[number]) =>
  `machhub/machine-secret/v1\u0000${binding.domain}\u0000${binding.machineId}\u0000${binding.ownerId}\u0000${field}`

export const sealMachineSecrets = (key: Buffer, binding: MachineBinding, plain: PlainMachineSecrets): MachineSecrets => {
  const sealed: Record<string, string> = {}
  for (const field of FIELDS) {
    const value = plain[field]
    if (value !== undefined && value !== "") sealed[field] = sealSecret(key, value, aad(binding, field))
  }
  return sealed
}

/** The plaintext secrets, or undefined if any of them does not open with this key and binding. */
export const openMachineSecrets = (key: Buffer, binding: MachineBinding, sealed: MachineSecrets): PlainMachineSecrets | undefined => {
  const plain: Record<string, string> = {}
  for (const field of FIELDS) {
    const value = sealed[field]
    if (value === undefined) continue
    const opened = openSecret(key, value, aad(binding, field))
    if (opened === undefined) return undefined
    plain[field] = opened
  }
  return plain
}
