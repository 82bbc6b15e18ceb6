import { randomUUID } from "node:crypto"
import { openMachineSecrets, openSshConnection, SshConnectError, type HttpRequest, type HttpResponse, type SshConnection } from "@machhub/adapters"
import { MACHINE_CATEGORY, type HostKey, type PayloadOf } from "@machhub/core"
import type { MachineRow } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { mutationHeaders } from "../routes/runCommand.js"
import { dispatch } from "./dispatch.js"
import { failure, ok } from "./envelope.js"
import type { TerminalTickets } from "./TerminalTickets.js"
import { unlockVault, type VaultDependencies } from "./vault.js"

export interface ConnectDependencies extends VaultDependencies {
  readonly tickets: TerminalTickets
  readonly connectTimeoutMillis: number
}

const where = (machine: MachineRow) => `${machine.hostname}:${machine.port}`

const mismatch = (machine: MachineRow, presented: HostKey, pinned: HostKey) =>
  failure(
    409,
    `Host key mismatch for ${where(machine)}: it presented ${presented.algorithm} ${presented.fingerprint}, but ${pinned.algorithm} ${pinned.fingerprint} is pinned. ` +
      "The connection was refused before any credential was sent. If the machine's key really changed, delete the machine and register it again."
  )

/** What to check when the machine cannot be reached, by the socket error behind it. */
const reachHint = (machine: MachineRow, code: string | undefined): string => {
  switch (code) {
    case "ECONNREFUSED":
      return `nothing accepts connections on port ${machine.port} of ${machine.hostname}. Check that the SSH server runs there, that the machine's port is right, and that no firewall rejects the connection`
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name ${machine.hostname} does not resolve. Check the machine's hostname and this server's DNS`
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `there is no network route to ${machine.hostname}. Check the machine's hostname and the network between this server and it`
    default:
      return `check that ${where(machine)} is an SSH server and that nothing between this server and it drops the connection`
  }
}

/**
 * The machine answered but would not let us in (502: a bad gateway, the upstream refused), or never
 * answered in time (504). Either way the message says what to check.
 */
const sshFailure = (error: SshConnectError, machine: MachineRow): HttpResponse => {
  switch (error.kind) {
    case "unreachable":
      return failure(502, `Cannot connect to ${where(machine)}: ${error.message}; ${reachHint(machine, error.code)}`)
    case "timeout":
      return failure(
        504,
        `Cannot connect to ${where(machine)}: ${error.message}. Check that the machine is up, that its hostname and port are right, and that no firewall silently drops the connection`
      )
    case "authentication":
      return failure(422, `${where(machine)} refused the stored SSH credentials for user ${machine.username}`)
    case "private_key":
    case "protocol":
    case "host_key_rejected":
      return failure(422, `Cannot connect to ${where(machine)}: ${error.message}`)
  }
}

/**
 * `POST /api/v1/machine/<id>/connect` (SPEC §9): unlock the vault with the master password (a wrong
 * one → 401 before any network traffic), open the secrets, then open SSH. The `connectMachine`
 * command runs while ssh2 waits on host verification, so the aggregate pins or checks the host key
 * before credentials leave the server. The open connection waits under a fresh ticket.
 */
export const connectMachine = async (
  deps: ConnectDependencies,
  principal: Principal,
  machine: MachineRow,
  masterPassword: string,
  request: HttpRequest
): Promise<HttpResponse> => {
  const unlocked = await unlockVault(deps, {
    principal,
    masterPassword,
    machineId: machine.machineId,
    address: request.remoteAddress,
    correlationId: request.correlationId
  })
  if (!unlocked.ok) return unlocked.response
  const secrets = openMachineSecrets(unlocked.key, { domain: machine.domain, machineId: machine.machineId, ownerId: machine.ownerId }, machine.secrets)
  unlocked.key.fill(0)
  if (secrets === undefined) {
    // The vault opened, so the password is the current one: these secrets were sealed under an earlier
    // one (the machine was registered while the master password was being changed).
    return failure(
      409,
      "This machine's credentials are sealed under an earlier master password (it was registered while the master password was being changed); delete the machine and register it again"
    )
  }

  const ticket = randomUUID()
  const ownerId = principal.userId
  const command = <T extends "connectMachine" | "recordConnectOutcome">(input: { readonly type: T; readonly payload: PayloadOf<T> }) =>
    dispatch(deps, {
      ...input,
      category: MACHINE_CATEGORY,
      domain: machine.domain,
      aggregateId: String(machine.machineId),
      actor: actorOf(principal),
      correlationId: request.correlationId
    })

  let refusal: HttpResponse | undefined
  let verified = false
  let connection: SshConnection
  try {
    connection = await openSshConnection({
      host: machine.hostname,
      port: Number(machine.port),
      username: machine.username,
      ...secrets,
      readyTimeoutMillis: deps.connectTimeoutMillis,
      verifyHostKey: async (hostKey) => {
        const decided = await command({ type: "connectMachine", payload: { ownerId, ticket, hostKey } })
        if (!decided.ok) {
          refusal = decided.response
          return false
        }
        const verdict = decided.reply.result
        if (!verdict.accepted) {
          refusal = mismatch(machine, hostKey, verdict.pinned!)
          return false
        }
        verified = true
        return true
      }
    })
  } catch (error) {
    if (!(error instanceof SshConnectError)) throw error
    const response = refusal ?? sshFailure(error, machine)
    if (verified) await command({ type: "recordConnectOutcome", payload: { ownerId, ticket, failure: error.message } })
    return response
  }

  const recorded = await command({ type: "recordConnectOutcome", payload: { ownerId, ticket, failure: null } })
  if (!recorded.ok) {
    // E.g. the machine was deleted while connecting.
    connection.close()
    return recorded.response
  }
  deps.tickets.issue({
    ticket,
    userId: principal.userId,
    domain: machine.domain,
    machineId: machine.machineId,
    hostname: machine.hostname,
    port: machine.port,
    username: machine.username,
    hostKey: connection.hostKey,
    connection
  })
  return ok("Connected to machine successfully", ticket, mutationHeaders(recorded.reply))
}
