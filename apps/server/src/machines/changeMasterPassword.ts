import { Schema } from "effect"
import {
  deriveMasterKey,
  newKeyDerivation,
  openMachineSecrets,
  sealMachineSecrets,
  sealVaultCheck,
  type HttpRequest,
  type HttpResponse
} from "@machhub/adapters"
import { MACHINE_VAULT_CATEGORY, type ResealedMachine } from "@machhub/core"
import type { MachineRow, MachinesReadModel } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { log } from "../log.js"
import { decodeBody } from "../routes/decodeBody.js"
import { mutationHeaders } from "../routes/runCommand.js"
import { dispatch } from "./dispatch.js"
import { failure, ok } from "./envelope.js"
import { MASTER_PASSWORD_RULE, masterPasswordOf, masterPasswordProblem } from "./machineInput.js"
import { unlockVault, type VaultDependencies } from "./vault.js"

export interface ChangeDependencies extends VaultDependencies {
  readonly machines: MachinesReadModel
}

/** `PUT /api/v1/master-password`'s body (also documents the route). */
export const ChangeMasterPasswordBody = Schema.Struct({
  old_password: Schema.optional(Schema.NullOr(Schema.String.check(Schema.isMaxLength(1024)))),
  new_password: Schema.String.check(Schema.isMaxLength(1024))
})
const readChangeBody = decodeBody(ChangeMasterPasswordBody)

/**
 * The change travels as one command and one event, and the command crosses the bus: it must fit a
 * NATS message (1 MiB by default) with room to spare. 768 KiB of ciphertext is some 1,000 machines
 * with passwords, or 150 with 4096-bit RSA keys.
 */
const MAX_RESEALED_BYTES = 768 * 1024

const bindingOf = (row: MachineRow) => ({ domain: row.domain, machineId: row.machineId, ownerId: row.ownerId })

/** Opens each machine's secrets with `from` and seals them with `to`; machines `from` cannot open are left out. */
const reseal = (rows: ReadonlyArray<MachineRow>, from: Buffer, to: Buffer): Array<ResealedMachine> => {
  const resealed: Array<ResealedMachine> = []
  for (const row of rows) {
    const plain = openMachineSecrets(from, bindingOf(row), row.secrets)
    if (plain !== undefined) resealed.push({ domain: row.domain, machineId: row.machineId, secrets: sealMachineSecrets(to, bindingOf(row), plain) })
  }
  return resealed
}

/**
 * `PUT /api/v1/master-password` `{ "old_password", "new_password" }` (the old one may come in
 * `X-Master-Password` instead): re-seals the credentials of every machine of the caller, in every
 * domain, under a key derived from the new password with a new salt.
 *
 * Atomic: the new salt, the new check value and every re-sealed credential travel in ONE command to
 * the caller's vault and are recorded as ONE `MasterPasswordChanged` event, so the log holds either the
 * old password for all machines or the new one for all; a crash at any point leaves nothing half done.
 * The command names the check value the old password opened, so a concurrent change is refused (409)
 * rather than overwritten. A machine registered meanwhile under the old password (it raced the change
 * and is not in it) is re-sealed right after by `resealMachines` while both keys are still at hand.
 *
 * A wrong old password answers the same 401 as on connect, counts against the same throttle (429),
 * and is recorded as `MasterPasswordRejected`.
 */
export const changeMasterPassword = async (deps: ChangeDependencies, principal: Principal, request: HttpRequest): Promise<HttpResponse> => {
  const body = readChangeBody(request)
  if (!body.ok) return body.response
  const old = masterPasswordOf(request, body.value.old_password, "old_password")
  if (!old.ok) return old.response
  const next = body.value.new_password
  if (masterPasswordProblem(next) !== undefined) return failure(422, `new_password: ${MASTER_PASSWORD_RULE}`)
  if (next === old.value) return failure(422, "new_password must differ from the old master password")
  const userId = principal.userId
  if (deps.vaults.find(userId) === undefined) {
    return failure(404, "You have no master password yet: the first machine you create sets it (POST /api/v1/machine)")
  }

  const unlocked = await unlockVault(deps, {
    principal,
    masterPassword: old.value,
    machineId: null,
    address: request.remoteAddress,
    correlationId: request.correlationId
  })
  if (!unlocked.ok) return unlocked.response
  const oldKey = unlocked.key
  const kdf = newKeyDerivation(deps.keyCost)
  let newKey: Buffer | undefined
  try {
    newKey = await deriveMasterKey(next, kdf)
    const check = sealVaultCheck(newKey, userId)
    const machines = reseal(deps.machines.listOwnedEverywhere(userId), oldKey, newKey)
    const size = machines.reduce((total, machine) => total + Object.values(machine.secrets).reduce((sum, secret) => sum + (secret?.length ?? 0), 0), 0)
    if (size > MAX_RESEALED_BYTES) {
      return failure(
        422,
        `Your ${machines.length} machines' credentials (${Math.ceil(size / 1024)} KiB sealed) are more than one change can carry at once (${MAX_RESEALED_BYTES / 1024} KiB); delete machines you no longer use and retry`
      )
    }
    const actor = actorOf(principal)
    const changed = await dispatch(deps, {
      type: "changeMasterPassword",
      category: MACHINE_VAULT_CATEGORY,
      domain: unlocked.vault.domain,
      aggregateId: userId,
      payload: { previousCheck: unlocked.vault.check, kdf, check, machines },
      actor,
      correlationId: request.correlationId
    })
    if (!changed.ok) return changed.response

    // This node's read models now include the change: whatever the old key still opens registered
    // before it but after the list above was read.
    const stragglers = reseal(
      deps.machines.listOwnedEverywhere(userId).filter((row) => openMachineSecrets(newKey!, bindingOf(row), row.secrets) === undefined),
      oldKey,
      newKey
    )
    if (stragglers.length > 0) {
      const repaired = await dispatch(deps, {
        type: "resealMachines",
        category: MACHINE_VAULT_CATEGORY,
        domain: unlocked.vault.domain,
        aggregateId: userId,
        payload: { check, machines: stragglers },
        actor,
        correlationId: request.correlationId
      })
      if (!repaired.ok) {
        log("warn", "machines registered during a master-password change could not be re-sealed", {
          correlationId: request.correlationId,
          machines: stragglers.map((machine) => `${machine.domain}/${machine.machineId}`).join(","),
          status: repaired.response.status
        })
      }
    }
    return ok("Master password changed successfully", { machines: machines.length + stragglers.length }, mutationHeaders(changed.reply))
  } finally {
    oldKey.fill(0)
    newKey?.fill(0)
  }
}
