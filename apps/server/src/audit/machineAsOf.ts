import { Effect } from "effect"
import type { HttpResponse } from "@machhub/adapters"
import { MACHINE_CATEGORY, machineAggregate, streamName, type AsOf, type EventStoreService, type MachineRegistered, type RecordedEvent } from "@machhub/core"
import type { MachineRow } from "@machhub/projections"
import { enveloped, failure, ok } from "../machines/envelope.js"
import { machineView } from "../machines/machineView.js"
import { answerAsOf, describeAsOf, stateAsOf } from "./asOf.js"

/**
 * `GET /api/v1/machine/<id>?asOf=`: the machine as it was then, for its owner only (anyone else gets
 * the same 404 as for a machine that never existed). Status and owner come from the machine
 * aggregate's own fold; the descriptive fields it does not keep come from its registration event,
 * which nothing changes later. A machine deleted since is readable as of a moment before.
 */
export const machineAsOf = (store: EventStoreService, domain: string, ownerId: string, machineId: number, asOf: AsOf): Promise<HttpResponse> =>
  answerAsOf(Effect.map(stateAsOf(store, streamName(MACHINE_CATEGORY, domain, String(machineId)), machineAggregate, asOf), (found): HttpResponse => {
    const registered = found?.events.find((event): event is RecordedEvent & MachineRegistered => event.type === "MachineRegistered")
    if (found === undefined || registered === undefined || found.state._tag !== "Active" || found.state.ownerId !== ownerId) {
      return failure(404, `No machine ${machineId} as of ${describeAsOf(asOf)}`)
    }
    const data = registered.data
    const row: MachineRow = {
      domain,
      machineId: data.machineId,
      ownerId: data.ownerId,
      ownerName: data.ownerName,
      name: data.name,
      hostname: data.hostname,
      port: data.port,
      username: data.username,
      organization: data.organization,
      secrets: {},
      hostKey: found.state.hostKey,
      version: found.version,
      createdAt: found.createdAt,
      updatedAt: found.updatedAt
    }
    return ok("Machine fetched successfully", machineView(row), { "App-Event-Position": String(found.position) })
  })).then(enveloped)
