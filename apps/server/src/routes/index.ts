import type { Router } from "@machhub/adapters"
import { mount } from "../api/mount.js"
import type { ServerContext } from "../ServerContext.js"
import { apiKeyRoutes } from "./apiKeys.js"
import { auditRoutes } from "./audit.js"
import { dataRoutes } from "./dataRoutes.js"
import { eventCatalogRoutes } from "./eventCatalog.js"
import { flowRoutes } from "./flows.js"
import { flowsOf } from "../flows/edgeFlows.js"
import { functionRoutes } from "./functions.js"
import { historianRoutes } from "./historian.js"
import { identityRoutes } from "./identityRoutes.js"
import { machhubInfoRoutes } from "./machhubInfo.js"
import { machineRoutes } from "./machines.js"
import { processRoutes } from "./processes.js"
import { runRoutes } from "./runs.js"
import { reportingRoutes } from "./reporting.js"
import { sessionRoutes } from "./sessions.js"
import { tagRoutes } from "./tags.js"
import { tagValueRoutes } from "./tagValues.js"
import { documentationRoutes, DOCUMENTATION_PATHS } from "./documentation.js"
import { consoleRoutes, CONSOLE_PATHS } from "./console.js"

/** Paths outside the read-model gate: documentation and the console page, which do not depend on this node's data. */
export const UNGATED_PATHS: ReadonlyArray<string> = [...DOCUMENTATION_PATHS, ...CONSOLE_PATHS]

/**
 * Every API route of an edge, one declaration table per area (see api/RouteDeclaration.ts). Health
 * routes are mounted by every node, in Server.ts.
 */
export const mountEdgeRoutes = (router: Router, context: ServerContext): void => {
  mount(router, [
    ...identityRoutes(context),
    ...sessionRoutes(context),
    ...apiKeyRoutes(context),
    ...dataRoutes(context),
    ...machhubInfoRoutes(context),
    ...tagRoutes(context),
    ...tagValueRoutes(context),
    ...historianRoutes(context),
    ...machineRoutes(context),
    ...reportingRoutes(context),
    ...auditRoutes(context),
    ...processRoutes(context),
    ...functionRoutes(context),
    ...runRoutes(context),
    ...eventCatalogRoutes(context),
    ...flowRoutes(context, flowsOf(context, context.config.natsUrl !== undefined)),
    ...documentationRoutes(router),
    ...consoleRoutes()
  ], context.authenticator)
}
