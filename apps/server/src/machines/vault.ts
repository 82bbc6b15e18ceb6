import { deriveMasterKey, newKeyDerivation, opensVaultCheck, sealVaultCheck, type HttpResponse } from "@machhub/adapters"
import { MACHINE_VAULT_CATEGORY } from "@machhub/core"
import type { MachineVaultRow, MachineVaultsReadModel, UsersReadModel } from "@machhub/projections"
import type { LoginThrottle } from "../auth/LoginThrottle.js"
import { actorOf, type Principal } from "../auth/Principal.js"
import type { CommandContext } from "../routes/runCommand.js"
import { dispatch } from "./dispatch.js"
import { failure } from "./envelope.js"
import { MASTER_PASSWORD_RULE, masterPasswordProblem } from "./machineInput.js"

export interface VaultDependencies extends CommandContext {
  readonly vaults: MachineVaultsReadModel
  readonly users: UsersReadModel
  readonly loginThrottle: LoginThrottle
  /** log2 of scrypt's N for new vaults (the password cost: 17 by default). */
  readonly keyCost: number
}

/** Where a master password is being used: for the audit event and the throttle. */
export interface VaultUse {
  readonly principal: Principal
  readonly masterPassword: string
  readonly machineId: number | null
  readonly address: string
  readonly correlationId: string
}

/**
 * The derived key (the caller zeroes it when done) and the vault it opened (its salt and check value
 * say which master password that was), or the answer to send instead.
 */
export type VaultKey =
  | { readonly ok: true; readonly key: Buffer; readonly vault: MachineVaultRow }
  | { readonly ok: false; readonly response: HttpResponse }

export const WRONG_MASTER_PASSWORD = "Wrong master password"

const throttleKey = (userId: string) => `machine-vault:${userId}`

/**
 * Derives the key from the master password and checks it against the user's vault. Guessing is
 * throttled together with logins (same limits per user and address); each wrong guess is recorded
 * as `MasterPasswordRejected` on the vault's stream.
 */
export const unlockVault = async (deps: VaultDependencies, use: VaultUse): Promise<VaultKey> => {
  const userId = use.principal.userId
  const vault = deps.vaults.find(userId)
  if (vault === undefined) return { ok: false, response: failure(401, WRONG_MASTER_PASSWORD) }
  const verdict = await deps.loginThrottle.begin(throttleKey(userId), use.address)
  if (!verdict.allowed) {
    return {
      ok: false,
      response: failure(429, `Too many wrong master passwords; retry in ${verdict.retryAfterSeconds} seconds`, { "Retry-After": String(verdict.retryAfterSeconds) })
    }
  }
  let key: Buffer
  try {
    key = await deriveMasterKey(use.masterPassword, vault.kdf)
  } catch (error) {
    verdict.attempt.settle("abandoned")
    throw error
  }
  if (opensVaultCheck(key, vault.check, userId)) {
    verdict.attempt.settle("succeeded")
    return { ok: true, key, vault }
  }
  key.fill(0)
  verdict.attempt.settle("failed")
  // The audit event is best effort: the caller's answer does not depend on it.
  await dispatch(deps, {
    type: "rejectMasterPassword",
    category: MACHINE_VAULT_CATEGORY,
    domain: vault.domain,
    aggregateId: userId,
    payload: { machineId: use.machineId, address: use.address || null },
    actor: actorOf(use.principal),
    correlationId: use.correlationId
  })
  return { ok: false, response: failure(401, WRONG_MASTER_PASSWORD) }
}

const pause = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/**
 * The key for sealing a new machine's secrets: the existing vault's (the master password must match
 * it, or 401), or a new vault's, created with a fresh salt on the user's first machine. Two first
 * machines created at once race on the vault's stream; the loser uses the winner's salt.
 */
export const openOrCreateVault = async (deps: VaultDependencies, use: VaultUse): Promise<VaultKey> => {
  const userId = use.principal.userId
  for (let attempt = 0; attempt < 40; attempt++) {
    if (deps.vaults.find(userId) !== undefined) return unlockVault(deps, use)
    if (attempt === 0 && masterPasswordProblem(use.masterPassword) !== undefined) {
      return { ok: false, response: failure(422, MASTER_PASSWORD_RULE) }
    }
    if (attempt === 0) {
      const kdf = newKeyDerivation(deps.keyCost)
      const key = await deriveMasterKey(use.masterPassword, kdf)
      const vault: MachineVaultRow = {
        ownerId: userId,
        domain: deps.users.findById(userId)?.homeDomain ?? use.principal.domain,
        kdf,
        check: sealVaultCheck(key, userId)
      }
      const created = await dispatch(deps, {
        type: "createVault",
        category: MACHINE_VAULT_CATEGORY,
        domain: vault.domain,
        aggregateId: userId,
        payload: { kdf, check: vault.check },
        actor: actorOf(use.principal),
        correlationId: use.correlationId
      })
      if (created.ok) return { ok: true, key, vault }
      key.fill(0)
      if (created.response.status !== 409) return created
    }
    // Lost the race: wait until the winner's vault reaches this node's read model.
    await pause(25)
  }
  return { ok: false, response: failure(503, "The vault is being created by another request; retry shortly", { "Retry-After": "1" }) }
}
