import { ADMIN_DOMAIN, FLOWS_CATEGORY, FLOWS_DEPLOYMENT_ID, streamName, type FlowNode } from "@machhub/core"
import type { ActorRef, EventStoreService } from "@machhub/core"
import type { DomainsReadModel } from "@machhub/projections"
import type { EffectRunner } from "../runtime.js"
import { log } from "../log.js"
import { toRuntimeFlows, withoutForeignReferences } from "./domainIds.js"

export interface DomainFlows {
  readonly flows: ReadonlyArray<FlowNode>
  readonly rev: string
  /** Who deployed them: the flows act as this user (or key) in the domain. */
  readonly actor: ActorRef
  /** The version of the domain's flows stream that recorded them: a later deploy has a higher one. */
  readonly version: number
}

/**
 * The flows file of every domain, rebuilt from the log: each domain's last FlowsDeployed. The
 * Node-RED runtime's storage reads its flows from here (see nodeRedStorage.ts), never from a file.
 */
export interface DeployedFlows {
  /** Reads every domain's flows stream (once, when the runtime starts). */
  readonly load: () => Promise<void>
  readonly get: (domain: string) => DomainFlows | undefined
  /** A deploy committed (here or by another node): true when it changes what the domain runs (an older one never does). */
  readonly set: (domain: string, flows: DomainFlows) => boolean
  /**
   * Every domain's flows as the one runtime runs them (ids prefixed by domain). With `missingTypes`,
   * a domain whose file names a node type the runtime lacks is left out (and logged): Node-RED starts
   * no flow at all while any type is missing, so one domain's file must not stop the others'.
   */
  readonly runtimeFlows: (missingTypes?: (flows: ReadonlyArray<FlowNode>) => ReadonlyArray<string>) => Array<Record<string, unknown>>
}

export const makeDeployedFlows = (parts: { readonly store: EventStoreService; readonly domains: DomainsReadModel; readonly run: EffectRunner }): DeployedFlows => {
  const byDomain = new Map<string, DomainFlows>()
  const readDomain = async (domain: string): Promise<DomainFlows | undefined> => {
    const events = await parts.run.runPromise(parts.store.readStream(streamName(FLOWS_CATEGORY, domain, FLOWS_DEPLOYMENT_ID)))
    let last: DomainFlows | undefined
    for (const event of events) {
      if (event.type !== "FlowsDeployed") continue
      const data = event.data as { flows?: unknown; rev?: unknown }
      if (Array.isArray(data.flows) && typeof data.rev === "string") last = { flows: data.flows as ReadonlyArray<FlowNode>, rev: data.rev, actor: event.meta.actor, version: event.version }
    }
    return last
  }
  return {
    load: async () => {
      const names = new Set([ADMIN_DOMAIN, ...parts.domains.list().map((d) => d.name)])
      for (const domain of names) {
        const flows = await readDomain(domain)
        const known = byDomain.get(domain)
        if (flows !== undefined && (known === undefined || known.version < flows.version)) byDomain.set(domain, flows)
      }
    },
    get: (domain) => byDomain.get(domain),
    set: (domain, flows) => {
      const known = byDomain.get(domain)
      if (known !== undefined && (known.version >= flows.version || known.rev === flows.rev)) return false
      byDomain.set(domain, flows)
      return true
    },
    runtimeFlows: (missingTypes) => {
      const prepared = [...byDomain].flatMap(([domain, { flows }]): Array<[string, Array<Record<string, unknown>>]> => {
        const missing = missingTypes?.(flows) ?? []
        if (missing.length > 0) {
          log("error", "a domain's flows are not run: they use node types this server does not have", { domain, types: missing })
          return []
        }
        return [[domain, toRuntimeFlows(domain, flows)]]
      })
      const owners = new Map<string, string>()
      for (const [domain, nodes] of prepared) for (const node of nodes) owners.set(String(node["id"]), domain)
      return prepared.flatMap(([domain, nodes]) => withoutForeignReferences(domain, nodes, owners))
    }
  }
}
