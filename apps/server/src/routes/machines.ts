import { Schema } from "effect"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"
import { MACHINE_CATEGORY } from "@machhub/core"
import { makeMachinesReadModel, makeMachineVaultsReadModel, type MachineRow } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { log } from "../log.js"
import { ChangeMasterPasswordBody, changeMasterPassword } from "../machines/changeMasterPassword.js"
import { connectMachine, type ConnectDependencies } from "../machines/connectMachine.js"
import { createMachine } from "../machines/createMachine.js"
import { dispatch } from "../machines/dispatch.js"
import { failure, ok } from "../machines/envelope.js"
import { ConnectBody, CreateMachineBody, machineIdOf, readConnectInput, readMachineInput, readOrganization } from "../machines/machineInput.js"
import { machineView } from "../machines/machineView.js"
import { TerminalTickets } from "../machines/TerminalTickets.js"
import { terminalSocketRoute } from "../machines/terminalSocket.js"
import type { ServerContext } from "../ServerContext.js"
import { bodyReadByHandler, error, ok as answer, requires, route, type AnyRoute, type CredentialPolicy } from "../api/RouteDeclaration.js"
import { AsOfQuery, Json } from "./schemas.js"
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
export const machineRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
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

  context.sockets.add(terminalSocketRoute({
    authenticator: auth,
    projections: context.projections,
    store: context.store,
    tickets,
    idleMillis: context.config.sshIdleSeconds * 1000,
    machineExists: (domain, machineId) => machines.find(domain, machineId) !== undefined
  }))

  const machinesArea = {
    tag: "machines",
    credentials: SSH_CREDENTIALS,
    errors: "envelope"
  } as const
  const idParam = { id: "The machine's id, a positive integer" } as const
  const notOwned = { 404: error("No such machine of the caller") } as const

  return [
    route({
      ...machinesArea,
      method: "POST",
      path: "/api/v1/machine",
      summary: "Register an SSH machine; its credentials are sealed with the caller's master password",
      access: requires("machines", "read-write", "self"),
      headers: ["X-Master-Password", "Idempotency-Key"],
      body: bodyReadByHandler(CreateMachineBody, "The machine; the master password as master_password or header X-Master-Password"),
      responses: {
        200: answer("Created; its id is in Location", envelopeOf(Schema.Null)),
        409: error("The master password changed meanwhile; create it again"),
        422: error("A value breaks a rule (name, hostname, port, credentials)")
      },
      handler: ({ request, principal }) => {
        const input = readMachineInput(request)
        if (!input.ok) return input.response
        return createMachine(deps, principal, input.value, request)
      }
    }),

    route({
      ...machinesArea,
      method: "GET",
      path: "/api/v1/machines",
      summary: "The caller's machines of the active domain",
      access: requires("machines", "read", "self"),
      query: Schema.Struct({ organization: Schema.optional(Schema.String.annotate({ description: "Only the machines created with this label" })) }),
      responses: { 200: answer("The machines", envelopeOf(Schema.Array(Json))) },
      handler: ({ request, principal }) => {
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
      }
    }),

    route({
      ...machinesArea,
      method: "GET",
      path: "/api/v1/machine/:id",
      summary: "One of the caller's machines, now or as of a past moment (even if deleted since)",
      access: requires("machines", "read", "self"),
      params: idParam,
      query: AsOfQuery,
      responses: { 200: answer("The machine", envelopeOf(Json)), ...notOwned },
      handler: ({ request, params: { id: rawId }, principal }) => {
        // ?asOf=: the machine as it was then, for its owner, even if deleted since (SPEC §10).
        const asOf = parseAsOf(request)
        if (!asOf.ok) return asOf.response
        if (asOf.asOf !== undefined) {
          const id = machineIdOf(rawId)
          return id.ok ? machineAsOf(context.store, principal.domain, principal.userId, id.value, asOf.asOf) : id.response
        }
        const target = owned(request, principal)
        if (!target.ok) return target.response
        return ok("Machine fetched successfully", machineView(target.machine), { ETag: `"${target.machine.version}"` })
      }
    }),

    route({
      ...machinesArea,
      method: "DELETE",
      path: "/api/v1/machine/:id",
      summary: "Delete one of the caller's machines (its open terminals are closed)",
      access: requires("machines", "read-write", "self"),
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: { 200: answer("Deleted", envelopeOf(Schema.Null)), ...notOwned, 412: error("If-Match does not match the machine's version") },
      handler: async ({ request, principal }) => {
        const target = owned(request, principal)
        if (!target.ok) return target.response
        const expected = ifMatch(request)
        if (!expected.ok) return expected.response
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
      }
    }),

    route({
      ...machinesArea,
      method: "POST",
      path: "/api/v1/machine/:id/connect",
      summary: "Open an SSH connection to one of the caller's machines; answers a ticket for the /ssh terminal socket",
      access: requires("machines", "read-write", "self"),
      params: idParam,
      headers: ["X-Master-Password"],
      body: bodyReadByHandler(ConnectBody, "The master password as password, unless sent as X-Master-Password"),
      responses: {
        200: answer("Connected; the ticket to claim on the /ssh socket", envelopeOf(Json)),
        ...notOwned,
        502: error("The machine refused the connection or the SSH login"),
        504: error("The machine did not answer in time")
      },
      handler: ({ request, principal }) => {
        const target = owned(request, principal)
        if (!target.ok) return target.response
        const master = readConnectInput(request)
        if (!master.ok) return master.response
        return connectMachine(deps, principal, target.machine, master.value, request).catch((error: unknown) => {
          log("error", "connect failed unexpectedly", { correlationId: request.correlationId, error: error instanceof Error ? error.message : String(error) })
          return failure(500, `Internal error; it was logged with correlation id ${request.correlationId}`)
        })
      }
    }),

    // One master password seals the caller's machines of every domain; the route needs
    // machines:read-write in the active one, like creating a machine.
    route({
      ...machinesArea,
      method: "PUT",
      path: "/api/v1/master-password",
      summary: "Change the master password: every machine of the caller is re-sealed",
      access: requires("machines", "read-write", "self"),
      body: bodyReadByHandler(ChangeMasterPasswordBody),
      responses: { 200: answer("Changed", envelopeOf(Json)), 403: error("The old master password is wrong") },
      handler: ({ request, principal }) =>
        changeMasterPassword(deps, principal, request).catch((error: unknown) => {
          log("error", "master password change failed unexpectedly", { correlationId: request.correlationId, error: error instanceof Error ? error.message : String(error) })
          return failure(500, `Internal error; it was logged with correlation id ${request.correlationId}`)
        })
    })
  ]
}

/**
 * SSH routes take the `jwt` cookie besides Bearer tokens (SPEC §2) and refuse API keys: the seed's
 * surface has none, and a key that opens shells would be a standing credential to every machine of
 * its issuer. Ownership is checked on top by each route.
 */
const SSH_CREDENTIALS: CredentialPolicy = { cookie: true, keys: "refused-on-ssh" }

/** The seed's `{ status, message, data }` answer around `data`. */
const envelopeOf = (data: Schema.Top) => Schema.Struct({ status: Schema.String, message: Schema.String, data })
