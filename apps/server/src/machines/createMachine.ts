import { openMachineSecrets, sealMachineSecrets, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { MACHINE_CATEGORY, MACHINE_IDS_CATEGORY, MACHINE_IDS_STREAM_ID } from "@machhub/core"
import type { MachinesReadModel } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { IDEMPOTENCY_KEY_PROBLEM, idempotencyKeyOf } from "../routes/idempotency.js"
import { mutationHeaders } from "../routes/runCommand.js"
import { dispatch } from "./dispatch.js"
import { failure, ok } from "./envelope.js"
import type { MachineInput } from "./machineInput.js"
import { openOrCreateVault, type VaultDependencies } from "./vault.js"

export interface CreateDependencies extends VaultDependencies {
  readonly machines: MachinesReadModel
}

/**
 * `POST /api/v1/machine`: opens (or, on the first machine, creates) the caller's vault with the master
 * password, allocates the machine's numeric id, seals the secrets bound to that id and the owner, and
 * registers the machine. Only ciphertexts travel in the command and land in the event.
 *
 * A master-password change that commits while this request seals under the old password re-seals
 * the machine if it already sees it (PUT /api/v1/master-password repairs what registered before it);
 * a registration that lands after the change cannot be repaired (the new password is not here), so
 * it is undone and the caller asked to create it again with the new password.
 */
export const createMachine = async (deps: CreateDependencies, principal: Principal, input: MachineInput, request: HttpRequest): Promise<HttpResponse> => {
  // Checked before the vault, whose creation (on a first machine) is recorded.
  if (!idempotencyKeyOf(request).ok) return failure(400, IDEMPOTENCY_KEY_PROBLEM)
  const vault = await openOrCreateVault(deps, {
    principal,
    masterPassword: input.masterPassword,
    machineId: null,
    address: request.remoteAddress,
    correlationId: request.correlationId
  })
  if (!vault.ok) return vault.response
  try {
    const actor = actorOf(principal)
    const allocated = await dispatch(deps, {
      type: "allocateMachineId",
      category: MACHINE_IDS_CATEGORY,
      domain: principal.domain,
      aggregateId: MACHINE_IDS_STREAM_ID,
      payload: {},
      actor,
      correlationId: request.correlationId,
      idempotencyKey: request.headers["idempotency-key"]
    })
    if (!allocated.ok) return allocated.response
    const machineId = allocated.reply.result.machineId
    const binding = { domain: principal.domain, machineId, ownerId: principal.userId }
    const secrets = sealMachineSecrets(vault.key, binding, input.secrets)
    const registered = await dispatch(deps, {
      type: "registerMachine",
      category: MACHINE_CATEGORY,
      domain: principal.domain,
      aggregateId: String(machineId),
      payload: {
        ownerId: principal.userId,
        ownerName: principal.username,
        name: input.name,
        hostname: input.hostname,
        port: input.port,
        username: input.username,
        organization: input.organization,
        secrets
      },
      actor,
      correlationId: request.correlationId,
      idempotencyKey: request.headers["idempotency-key"],
      expectedVersion: "no_stream"
    })
    if (!registered.ok) return registered.response
    if (deps.vaults.find(principal.userId)?.check !== vault.vault.check) {
      const row = deps.machines.find(principal.domain, machineId)
      if (row !== undefined && openMachineSecrets(vault.key, binding, row.secrets) !== undefined) {
        const undone = await dispatch(deps, {
          type: "deleteMachine",
          category: MACHINE_CATEGORY,
          domain: principal.domain,
          aggregateId: String(machineId),
          payload: { ownerId: principal.userId },
          actor,
          correlationId: request.correlationId
        })
        if (undone.ok) {
          return failure(409, "The master password was changed while this machine was being created; create it again with the new master password")
        }
      }
    }
    // The seed answers `data: null`; the new id is in Location for clients that want it.
    return ok("Machine created successfully", null, { ...mutationHeaders(registered.reply), Location: `/api/v1/machine/${machineId}` })
  } finally {
    vault.key.fill(0)
  }
}
