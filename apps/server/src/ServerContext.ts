import type Database from "better-sqlite3"
import type { NatsClient, Router, WebSocketRoutes } from "@machhub/adapters"
import type { CommandBusService, EventBusService, EventStoreService, PasswordHasherService, TokenServiceService } from "@machhub/core"
import type { DomainsReadModel, GroupsReadModel, ProjectionRunnerService, UsersReadModel } from "@machhub/projections"
import type { Authenticator } from "./auth/Authenticator.js"
import type { LoginThrottle } from "./auth/LoginThrottle.js"
import type { ServerConfig } from "./config.js"
import type { EffectRunner } from "./runtime.js"
import type { MqttListeners } from "./mqtt/startMqtt.js"
import type { TagValues } from "./tags/values/TagValues.js"
import type { WriteGate } from "./tags/values/writeGate.js"

/** Everything route modules may use; built once by the composition root. */
export interface ServerContext {
  readonly config: ServerConfig
  readonly store: EventStoreService
  readonly commands: CommandBusService
  readonly events: EventBusService
  readonly projections: ProjectionRunnerService
  /** The read-model database of this node (for read models that route modules query). */
  readonly readModels: Database.Database
  readonly users: UsersReadModel
  readonly groups: GroupsReadModel
  readonly domains: DomainsReadModel
  readonly passwords: PasswordHasherService
  readonly tokens: TokenServiceService
  readonly authenticator: Authenticator
  /** Shared by every route that checks a password, so all of them count against the same limits. */
  readonly loginThrottle: LoginThrottle
  /** WebSocket routes (the SSH terminal); attached to the HTTP edge and ended first on stop. */
  readonly sockets: WebSocketRoutes
  /** The port the HTTP edge listens on (known once it listens; PORT=0 picks a free one). */
  readonly httpPort: () => number
  /** The MQTT listeners that run (TCP port, WebSocket), once MQTT started; undefined without MQTT. */
  readonly mqttListeners: () => MqttListeners | undefined
  /**
   * Runs Effects with this server's runtime (its services and logger; forks join its scope). A
   * handler may also call `runPromise` from runtime.ts (as `respond` does): while a handler runs it
   * picks this runner and annotates logs with the request's correlation id.
   */
  readonly run: EffectRunner
  /** The tag value pipeline: last values, the historian (historian.db) and fan-out to MQTT/NATS. */
  readonly tagValues: TagValues
  /** The tag rules a client's value write must pass (access R, autocreate). */
  readonly tagWrites: WriteGate
  /** This server's NATS connection (NATS_URL); absent without one. */
  readonly nats?: NatsClient | undefined
}

/** A route module adds its routes to the router. */
export type RouteModule = (router: Router, context: ServerContext) => void
