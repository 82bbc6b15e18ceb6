import type Database from "better-sqlite3"
import { mkdirSync } from "node:fs"
import { Effect, ManagedRuntime, Option, Schedule } from "effect"
import { acquireDataDirLock, describeLockHolder, Nats, Router, startHttpServer, WebSocketRoutes, type HttpServer } from "@machhub/adapters"
import {
  CommandBus,
  EventBus,
  EventStore,
  PasswordHasher,
  TokenService,
  type CommandBusService,
  type EventBusService,
  type EventStoreService,
  type PasswordHasherService,
  type TokenServiceService
} from "@machhub/core"
import {
  makeDomainsReadModel,
  makeGroupsReadModel,
  makeUsersReadModel,
  ProjectionRunner,
  ReadModelDatabase,
  type ProjectionRunnerService
} from "@machhub/projections"
import type { Authenticator as AuthenticatorService } from "./auth/Authenticator.js"
import { makeLoginThrottle } from "./auth/LoginThrottle.js"
import { mount } from "./api/mount.js"
import { mountEdgeRoutes, UNGATED_PATHS } from "./routes/index.js"
import { RequestOrigins } from "./audit/RequestOrigins.js"
import type { ServerContext } from "./ServerContext.js"
import { openEdgeTagValues } from "./tags/values/edgeTagValues.js"
import { startEdgeMqtt } from "./mqtt/edgeMqtt.js"
import { startNatsTagValues } from "./tags/nats/natsTagValues.js"
import type { MqttListeners, RunningMqtt } from "./mqtt/startMqtt.js"
import { bodyLimitOf } from "./data/files/bodyLimit.js"
import { bootstrapAdmin } from "./bootstrapAdmin.js"
import { stopProcesses } from "./processes/edgeProcesses.js"
import { stopFlows } from "./flows/edgeFlows.js"
import type { ServerConfig } from "./config.js"
import { log } from "./log.js"
import { commandIntakeReadiness, edgeReadiness, healthRoutes, readModelsReadiness } from "./routes/health.js"
import { readModelGate } from "./routes/readModelGate.js"
import { runnerOf, runningOn, type EffectRunner } from "./runtime.js"
import { configureSandbox } from "./sandbox/index.js"
import { Authenticator, ServerLayer } from "./ServerLayer.js"

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

export interface ServerHooks {
  /** Receives a generated admin password, the one time it exists in clear. */
  readonly onAdminPasswordGenerated?: (password: string) => void
}

/** The composition root: wires store, actors, buses, projections and the HTTP edge for one process, as its roles say. */
export const startServer = async (config: ServerConfig, hooks: ServerHooks = {}): Promise<RunningServer> => {
  const roles = config.roles
  // The sandbox's worker pool starts with the first run; this sizes it.
  configureSandbox({ workers: config.sandboxWorkers })
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
  // One runtime for the process: its Layers hold the store, NATS, buses, actors, crypto, read models
  // and authenticator, and the fibers they fork (projections, publisher, refusal sweep, key-use
  // records) live in its scope; route programs run on it too. Disposing it releases all of it.
  const runtime = ManagedRuntime.make(ServerLayer(config, origins))
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
      passwords: Effect.service(PasswordHasher),
      tokens: Effect.service(TokenService),
      nats: Effect.serviceOption(Nats).pipe(Effect.map(Option.getOrUndefined)),
      readModels: Effect.all({ db: Effect.serviceOption(ReadModelDatabase), projections: Effect.serviceOption(ProjectionRunner) }).pipe(
        Effect.map(({ db, projections }) => Option.isSome(db) && Option.isSome(projections) ? { db: db.value, projections: projections.value } : undefined)
      ),
      authenticator: Effect.serviceOption(Authenticator).pipe(Effect.map(Option.getOrUndefined))
    })
  ).catch(async (error: unknown) => {
    await release()
    throw error
  })
  const run = runnerOf(runtime, await runtime.context())
  const { passwords, tokens, authenticator } = services

  const sockets = new WebSocketRoutes()
  const { readModels, nats } = services
  const router = new Router()
  const servesApi = roles.has("edge") && readModels !== undefined
  // Set once the bootstrap admin exists: an edge is not ready (and its routes answer 503) before.
  let adminExists = false
  const hasAdmin = () => adminExists
  // The configured port until the edge listens, then the one it got.
  let httpPort = config.port
  // Known once MQTT runs (it starts after the edge's routes, before the HTTP server).
  let mqttListeners: MqttListeners | undefined
  mount(router, healthRoutes(
    readModels === undefined
      ? commandIntakeReadiness(nats!)
      : servesApi
      ? edgeReadiness(readModelsReadiness(readModels.projections), hasAdmin)
      : readModelsReadiness(readModels.projections)
  ))
  const edge = servesApi
    ? mountEdge(router, { ...services, readModels: readModels!, authenticator: authenticator!, config, passwords, tokens, sockets, origins, hasAdmin, run, httpPort: () => httpPort, mqttListeners: () => mqttListeners })
    : undefined
  // Before the HTTP server: MQTT over WebSocket is one of its socket routes.
  const mqtt: RunningMqtt | undefined = edge === undefined ? undefined : await startEdgeMqtt(edge)
  mqttListeners = mqtt?.listeners
  // With NATS, tag values are also on mh.tag.<domain>.<topic>, and services' values there are taken in.
  const natsTags = edge === undefined || nats === undefined ? undefined : startNatsTagValues(edge, nats)

  let http: HttpServer
  try {
    http = await startHttpServer({
      host: config.host,
      port: config.port,
      router,
      maxBodyBytes: config.maxBodyBytes,
      bodyLimit: bodyLimitOf(config),
      corsOrigins: config.corsOrigins,
      configure: sockets.attach,
      onHandlerError: (error, request) =>
        log("error", "request handler failed", {
          correlationId: request.correlationId,
          route: `${request.method} ${request.path}`,
          error: error instanceof Error ? error.message : String(error)
        })
    })
  } catch (error) {
    await natsTags?.stop()
    await mqtt?.stop()
    await release()
    throw error
  }
  httpPort = http.port

  const stopped = new AbortController()
  const bootstrapped = edge === undefined
    ? Promise.resolve()
    : createBootstrapAdmin(edge, config.adminPassword, hooks, stopped.signal, () => (adminExists = true), run)

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      stopped.abort()
      // MQTT clients are told the server is shutting down; the broker saves retained values.
      await mqtt?.stop()
      // Terminal sessions end next, with a close frame and their recordings stored.
      await sockets.close()
      await http.close(config.shutdownGraceMillis)
      // No trigger starts a run once requests have stopped.
      stopProcesses(edge)
      // Flows stop before the tag values they write are closed.
      await stopFlows(edge)
      // Values still queued are written before the historian's file closes.
      await natsTags?.stop()
      edge?.tagValues.close()
      await release()
    })())

  const { store, commands, events } = services
  return { port: http.port, store, commands, events, projections: readModels?.projections, bootstrapped, stop, routes: () => router.routes() }
}

interface EdgeParts {
  readonly store: EventStoreService
  readonly commands: CommandBusService
  readonly events: EventBusService
  readonly readModels: { readonly db: Database.Database; readonly projections: ProjectionRunnerService }
  readonly config: ServerConfig
  readonly passwords: PasswordHasherService
  readonly tokens: TokenServiceService
  readonly sockets: WebSocketRoutes
  readonly authenticator: AuthenticatorService
  readonly origins: RequestOrigins
  readonly hasAdmin: () => boolean
  readonly run: EffectRunner
  readonly httpPort: () => number
  readonly mqttListeners: () => MqttListeners | undefined
}

/** The edge role: every API route, answered from this node's read models, with commands sent on the bus. */
const mountEdge = (router: Router, parts: EdgeParts): ServerContext => {
  const { config, readModels, origins, hasAdmin, run } = parts
  const { db, projections } = readModels
  const users = makeUsersReadModel(db)
  const groups = makeGroupsReadModel(db)
  const loginThrottle = makeLoginThrottle({
    maxFailuresPerUsername: config.loginMaxFailures,
    maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
    windowSeconds: config.loginThrottleWindowSeconds
  })
  const context: ServerContext = {
    ...parts,
    projections,
    readModels: db,
    users,
    groups,
    domains: makeDomainsReadModel(db),
    loginThrottle,
    ...openEdgeTagValues({ ...parts, readModels: db, projections })
  }
  mountEdgeRoutes(router, context)
  // Innermost, so that Effects a handler starts run on this server's runtime (see runtime.ts).
  router.guardAll((handler) => readModelGate(projections, hasAdmin, origins.track(runningOn(run, handler))), ["/healthz", "/readyz", ...UNGATED_PATHS])
  return context
}

/** Once the read models are current (so an admin made earlier, perhaps by another node, is seen), makes sure one exists. */
const createBootstrapAdmin = (
  context: ServerContext,
  configuredPassword: string | undefined,
  hooks: ServerHooks,
  signal: AbortSignal,
  onAdminExists: () => void,
  run: EffectRunner
): Promise<void> => {
  let waiting = false
  return run.runPromise(
    Effect.gen(function*() {
      yield* Effect.promise(async () => {
        while (!context.projections.isReady()) await new Promise((r) => setTimeout(r, 20))
      })
      const outcome = yield* bootstrapAdmin({ ...context, configuredPassword }).pipe(
        // An edge may start before any actor host: wait for one rather than give up.
        Effect.tapError((error) =>
          error._tag === "CommandUnavailable" && !waiting
            ? Effect.sync(() => (waiting = true) && log("warn", "waiting for an actor host to create the bootstrap admin", { reason: error.message }))
            : Effect.void
        ),
        // An unknown outcome is retried only with a configured password: a generated one may be the one
        // stored, and a retry would print another; with a configured one the fixed admin id makes it harmless.
        Effect.retry({
          while: (error) => error._tag === "CommandUnavailable" || (error._tag === "CommandOutcomeUnknown" && configuredPassword !== undefined),
          schedule: Schedule.spaced("1 second")
        })
      )
      onAdminExists()
      if (outcome.created) {
        log("info", "created the bootstrap user admin (domain machhub_admin, group superuser)")
        if (outcome.generatedPassword !== undefined) hooks.onAdminPasswordGenerated?.(outcome.generatedPassword)
      }
    }),
    { signal }
  ).catch((error: unknown) => {
    // Stopped before an actor host appeared: nothing went wrong.
    if (signal.aborted) return
    log("error", "could not create the bootstrap admin; set MACHHUB_ADMIN_PASSWORD and restart", {
      error: error instanceof Error ? error.message : String(error)
    })
  })
}
