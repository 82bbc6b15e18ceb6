import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import { MACHINE_CATEGORY } from "@machhub/core"
import { makeMachinesReadModel, makeMachineVaultsReadModel, type MachineRow } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { log } from "../log.js"
import { changeMasterPassword } from "../machines/changeMasterPassword.js"
import { connectMachine, type ConnectDependencies } from "../machines/connectMachine.js"
import { createMachine } from "../machines/createMachine.js"
import { dispatch } from "../machines/dispatch.js"
import { enveloped, failure, ok } from "../machines/envelope.js"
import { guardMachines } from "../machines/guardMachines.js"
import { machineIdOf, readConnectInput, readMachineInput, readOrganization } from "../machines/machineInput.js"
import { machineView } from "../machines/machineView.js"
import { TerminalTickets } from "../machines/TerminalTickets.js"
import { terminalSocketRoute } from "../machines/terminalSocket.js"
import type { RouteModule } from "../ServerContext.js"
import { ifMatch, mutationHeaders } from "./runCommand.js"
import { parseAsOf } from "../audit/asOf.js"
import { machineAsOf } from "../audit/machineAsOf.js"

/**
 * SSH machines (SPEC §9, seed 004): the owner's registry of machines with sealed credentials, the
 * connect command that opens SSH and answers a ticket, the `/ssh` terminal socket that claims it, and
 * the change of the master password that seals them all.
 * Every answer, errors included, is in the `{ status, message, data }` envelope. Only the owner sees a
 * machine: anyone else gets 404, exactly as for a machine that does not exist.
 */
export const machineRoutes: RouteModule = (router, context) => {
  const machines = makeMachinesReadModel(context.readModels)
  const tickets = new TerminalTickets(context.config.sshTicketSeconds * 1000, (entry) =>
    log("info", "an SSH ticket lapsed unclaimed; its connection was closed", { ticket: entry.ticket, machineId: entry.machineId }))
  const deps: ConnectDependencies & { readonly machines: typeof machines } = {
    commands: context.commands,
    projections: context.projections,
    users: context.users,
    vaults: makeMachineVaultsReadModel(context.readModels),
    loginThrottle: context.loginThrottle,
    keyCost: context.config.passwordCost,
    tickets,
    machines,
    connectTimeoutMillis: context.config.sshConnectTimeoutSeconds * 1000
  }
  const auth = context.authenticator

  /** The caller's own machine named by the path, or the answer to send instead. */
  const owned = (request: HttpRequest, principal: Principal): { ok: true; machine: MachineRow } | { ok: false; response: HttpResponse } => {
    const id = machineIdOf(request.params["id"]!)
    if (!id.ok) return id
    const machine = machines.find(principal.domain, id.value)
    if (machine === undefined || machine.ownerId !== principal.userId) return { ok: false, response: failure(404, `No machine ${id.value}`) }
    return { ok: true, machine }
  }

  router.add("POST", "/api/v1/machine", guardMachines(auth, "read-write", (request, principal) => {
    const input = readMachineInput(request)
    if (!input.ok) return input.response
    return createMachine(deps, principal, input.value, request)
  }))

  router.add("GET", "/api/v1/machines", guardMachines(auth, "read", (request, principal) => {
    // ?organization=<label>: only the machines created with that label (seed 004's organization).
    const wanted = new URLSearchParams(request.query).getAll("organization")
    if (wanted.length > 1) return failure(400, "Send organization at most once")
    let organization: string | undefined
    if (wanted.length === 1) {
      const label = readOrganization(wanted[0])
      if (!label.ok) return label.response
      if (label.value === null) return failure(400, "organization must not be empty; leave it out to list every machine")
      organization = label.value
    }
    return ok("Machines fetched successfully", machines.listOwned(principal.domain, principal.userId, organization).map(machineView))
  }))

  router.add("GET", "/api/v1/machine/:id", guardMachines(auth, "read", (request, principal) => {
    // ?asOf=: the machine as it was then, for its owner, even if deleted since (SPEC §10).
    const asOf = parseAsOf(request)
    if (!asOf.ok) return enveloped(asOf.response)
    if (asOf.asOf !== undefined) {
      const id = machineIdOf(request.params["id"]!)
      return id.ok ? machineAsOf(context.store, principal.domain, principal.userId, id.value, asOf.asOf) : id.response
    }
    const target = owned(request, principal)
    if (!target.ok) return target.response
    return ok("Machine fetched successfully", machineView(target.machine), { ETag: `"${target.machine.version}"` })
  }))

  router.add("DELETE", "/api/v1/machine/:id", guardMachines(auth, "read-write", async (request, principal) => {
    const target = owned(request, principal)
    if (!target.ok) return target.response
    const expected = ifMatch(request)
    if (!expected.ok) return enveloped(expected.response)
    const deleted = await dispatch(context, {
      type: "deleteMachine",
      category: MACHINE_CATEGORY,
      domain: principal.domain,
      aggregateId: String(target.machine.machineId),
      payload: { ownerId: principal.userId },
      actor: actorOf(principal),
      correlationId: request.correlationId,
      idempotencyKey: request.headers["idempotency-key"],
      ...(expected.version === undefined ? {} : { expectedVersion: expected.version })
    })
    return deleted.ok ? ok("Machine deleted successfully", null, mutationHeaders(deleted.reply)) : deleted.response
  }))

  router.add("POST", "/api/v1/machine/:id/connect", guardMachines(auth, "read-write", (request, principal) => {
    const target = owned(request, principal)
    if (!target.ok) return target.response
    const master = readConnectInput(request)
    if (!master.ok) return master.response
    return connectMachine(deps, principal, target.machine, master.value, request).catch((error: unknown) => {
      log("error", "connect failed unexpectedly", { correlationId: request.correlationId, error: error instanceof Error ? error.message : String(error) })
      return failure(500, `Internal error; it was logged with correlation id ${request.correlationId}`)
    })
  }))

  // One master password seals the caller's machines of every domain; the route needs
  // machines:read-write in the active one, like creating a machine.
  router.add("PUT", "/api/v1/master-password", guardMachines(auth, "read-write", (request, principal) =>
    changeMasterPassword(deps, principal, request).catch((error: unknown) => {
      log("error", "master password change failed unexpectedly", { correlationId: request.correlationId, error: error instanceof Error ? error.message : String(error) })
      return failure(500, `Internal error; it was logged with correlation id ${request.correlationId}`)
    })))

  context.sockets.add(terminalSocketRoute({
    authenticator: auth,
    projections: context.projections,
    store: context.store,
    tickets,
    idleMillis: context.config.sshIdleSeconds * 1000,
    machineExists: (domain, machineId) => machines.find(domain, machineId) !== undefined
  }))
}

