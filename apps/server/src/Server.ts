import { mkdirSync } from "node:fs"
import { Effect, ManagedRuntime, Option } from "effect"
import { acquireDataDirLock, describeLockHolder } from "@machhub/adapters"
import { CommandBus, EventBus, EventStore, type CommandBusService, type EventBusService, type EventStoreService } from "@machhub/core"
import { ProjectionRunner, type ProjectionRunnerService } from "@machhub/projections"
import { RequestOrigins } from "./audit/RequestOrigins.js"
import type { ServerConfig } from "./config.js"
import type { BootstrapHooks } from "./layers/BootstrapAdminLayer.js"
import { AdminBootstrap, HttpListener, HttpRoutes } from "./layers/services.js"
import { ServerLayer } from "./ServerLayer.js"

export interface RunningServer {
  readonly port: number
  readonly store: EventStoreService
  readonly commands: CommandBusService
  readonly events: EventBusService
  /** This node's read models; absent on a process with neither the edge nor the projections role. */
  readonly projections: ProjectionRunnerService | undefined
  /** Resolves once the bootstrap admin exists (created now or before); at once on a process without the edge role. */
  readonly bootstrapped: Promise<void>
  /** Graceful stop: no new requests, in-flight ones finish, the store is flushed and closed. */
  readonly stop: () => Promise<void>
  /** Every HTTP route this process answers, as registered (a test checks the API document lists them all). */
  readonly routes: () => ReadonlyArray<{ readonly method: string; readonly path: string }>
}

export type ServerHooks = BootstrapHooks

/**
 * The composition root: the process is its Layers (ServerLayer.ts: store, buses, actors, read models,
 * the edge's subsystems, the HTTP server), built into one ManagedRuntime whose disposal stops them in
 * reverse order; this holds the data directory for the runtime's lifetime and reads what callers see.
 */
export const startServer = async (config: ServerConfig, hooks: ServerHooks = {}): Promise<RunningServer> => {
  // Everything this process creates (the data dir, events.db, readmodels.db and their WAL/SHM files,
  // keys/) holds the log or credential material: owner-only, whatever the umask it was started with.
  process.umask(0o077)
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  // One process owns a data directory: a second server, or `machhub replay` swapping the read models,
  // must not write under this one (see DataDirLock).
  const lock = acquireDataDirLock(config.dataDir, "server")
  if (!lock.acquired) throw new Error(`the data directory ${config.dataDir} is in use by ${describeLockHolder(lock.holder)}`)
  // Requests in flight by correlation id: lets refused commands be recorded with the caller's address.
  const origins = new RequestOrigins()
  // One runtime for the process: building it starts every Layer in order, the HTTP server last;
  // disposing it stops them in reverse (the HTTP server first) and closes the store.
  const runtime = ManagedRuntime.make(ServerLayer(config, origins, hooks))
  // Released last: after the store and the read models are closed.
  const release = async () => {
    try {
      await runtime.dispose()
    } finally {
      lock.release()
    }
  }
  const services = await runtime.runPromise(
    Effect.all({
      store: Effect.service(EventStore),
      commands: Effect.service(CommandBus),
      events: Effect.service(EventBus),
      projections: Effect.serviceOption(ProjectionRunner).pipe(Effect.map(Option.getOrUndefined)),
      http: Effect.service(HttpListener),
      routes: Effect.service(HttpRoutes),
      bootstrap: Effect.serviceOption(AdminBootstrap).pipe(Effect.map(Option.getOrUndefined))
    })
  ).catch(async (error: unknown) => {
    await release()
    throw error
  })

  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= release())

  const { store, commands, events, projections, http, routes, bootstrap } = services
  return {
    port: http.port,
    store,
    commands,
    events,
    projections,
    bootstrapped: bootstrap?.done ?? Promise.resolve(),
    stop,
    routes: () => routes.router.routes()
  }
}
