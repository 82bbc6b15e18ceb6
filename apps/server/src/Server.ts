import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import {
  acquireDataDirLock,
  connectNats,
  describeLockHolder,
  loadOrCreateSigningKey,
  makeInProcessCommandBus,
  makeInProcessEventBus,
  makeJwtTokenService,
  makeNatsCommandBus,
  makeNatsEventBus,
  makeScryptPasswordHasher,
  makeJetStreamEventStore,
  makeSqliteEventStore,
  Router,
  serveCommands,
  startHttpServer,
  text,
  WebSocketRoutes,
  type HttpHandler,
  type HttpServer
} from "@machhub/adapters"
import {
  apiKeyAggregate,
  domainAggregate,
  EventStore,
  failedLoginAggregate,
  groupAggregate,
  machineAggregate,
  machineIdsAggregate,
  machineVaultAggregate,
  makeActorSystem,
  sessionAggregate,
  userAggregate,
  recordAggregate,
  collectionAggregate,
  usernameAggregate,
  type CommandBusService,
  type EventBusService,
  type EventStoreService
} from "@machhub/core"
import {
  allProjections,
  makeDomainsReadModel,
  makeApiKeysReadModel,
  makeGroupsReadModel,
  makeProjectionRunner,
  makeSessionsReadModel,
  makeUsersReadModel,
  openReadModelDatabase,
  type ProjectionRunnerService
} from "@machhub/projections"
import { apiKeyHasherFor } from "./auth/apiKeyHasher.js"
import { makeApiKeyVerifier } from "./auth/ApiKeyVerifier.js"
import { makeKeyRateLimiter } from "./auth/KeyRateLimiter.js"
import { makeAuthenticator } from "./auth/Authenticator.js"
import { makeSessionRegistry } from "./auth/SessionRegistry.js"
import { makeLoginThrottle } from "./auth/LoginThrottle.js"
import { apiKeyRoutes } from "./routes/apiKeys.js"
import { identityRoutes } from "./routes/identityRoutes.js"
import { dataRoutes } from "./routes/dataRoutes.js"
import { sessionRoutes } from "./routes/sessions.js"
import { machineRoutes } from "./routes/machines.js"
import { auditRoutes } from "./routes/audit.js"
import { eventCatalogRoutes } from "./routes/eventCatalog.js"
import { makeRefusalRecorder } from "./audit/RefusalRecorder.js"
import { RequestOrigins } from "./audit/RequestOrigins.js"
import type { RouteModule, ServerContext } from "./ServerContext.js"
import { bootstrapAdmin } from "./bootstrapAdmin.js"
import type { ServerConfig } from "./config.js"
import { runEventPublisher } from "./EventPublisher.js"
import { log } from "./log.js"
import { healthz, readyz } from "./routes/health.js"
import { login } from "./routes/login.js"

export interface RunningServer {
  readonly port: number
  readonly store: EventStoreService
  readonly commands: CommandBusService
  readonly events: EventBusService
  readonly projections: ProjectionRunnerService
  /** Resolves once the bootstrap admin exists (created now or before). */
  readonly bootstrapped: Promise<void>
  /** Graceful stop: no new requests, in-flight ones finish, the store is flushed and closed. */
  readonly stop: () => Promise<void>
}

export interface ServerHooks {
  /** Receives a generated admin password, the one time it exists in clear. */
  readonly onAdminPasswordGenerated?: (password: string) => void
}

/** While read models catch up after start, routes that query them answer 503 instead of stale data. */
const whenReady = (projections: ProjectionRunnerService, handler: HttpHandler): HttpHandler => (request) =>
  projections.isReady()
    ? handler(request)
    : text(503, "The server is starting and its read models are catching up; retry shortly", { "Retry-After": "1" })

/** The composition root: wires store, actors, buses, projections and the HTTP edge for one process. */
export const startServer = async (config: ServerConfig, hooks: ServerHooks = {}): Promise<RunningServer> => {
  mkdirSync(config.dataDir, { recursive: true })
  // One process owns a data directory: a second server, or `machhub replay` swapping the read models,
  // must not write under this one (see DataDirLock).
  const lock = acquireDataDirLock(config.dataDir, "server")
  if (!lock.acquired) throw new Error(`the data directory ${config.dataDir} is in use by ${describeLockHolder(lock.holder)}`)
  const scope = Effect.runSync(Scope.make())
  // Added first, so released last: after the store and the read models are closed.
  Effect.runSync(Scope.addFinalizer(scope, Effect.sync(lock.release)))
  const passwords = makeScryptPasswordHasher({ logN: config.passwordCost })
  const tokens = makeJwtTokenService({
    keys: loadOrCreateSigningKey(join(config.dataDir, "keys", "token-signing.pem")),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    lifetimeSeconds: config.jwtLifetimeSeconds
  })

  // Requests in flight by correlation id: lets refused commands be recorded with the caller's address.
  const origins = new RequestOrigins()
  const wiring = Effect.gen(function*() {
    const store: EventStoreService = config.store === "jetstream"
      ? yield* makeJetStreamEventStore({
        servers: config.natsUrl!,
        streamName: config.jetstreamStream,
        replicas: config.jetstreamReplicas
      })
      : yield* makeSqliteEventStore({ path: join(config.dataDir, "events.db"), synchronous: config.sqliteSynchronous })
    const actors = yield* makeActorSystem([
      userAggregate,
      failedLoginAggregate,
      usernameAggregate,
      domainAggregate,
      groupAggregate,
      apiKeyAggregate,
      sessionAggregate,
      machineAggregate,
      machineVaultAggregate,
      machineIdsAggregate,
      recordAggregate,
      collectionAggregate
    ]).pipe(Effect.provideService(EventStore, store))
    let commands: CommandBusService
    let events: EventBusService
    if (config.natsUrl !== undefined) {
      const nats = yield* connectNats({ servers: config.natsUrl, name: "machhub-server" })
      yield* serveCommands(nats, actors.handle)
      commands = makeNatsCommandBus(nats)
      events = makeNatsEventBus(nats, { format: config.eventFormat })
    } else {
      commands = makeInProcessCommandBus(actors.handle)
      events = yield* makeInProcessEventBus()
    }
    // Every command a rule refuses is recorded (CommandRefused), here, for every route at once.
    const refusals = makeRefusalRecorder(commands, { store, addressOf: (id) => origins.addressOf(id) })
    commands = refusals.commands
    const sweep = setInterval(() => Effect.runFork(refusals.sweep), 60_000)
    sweep.unref()
    yield* Effect.addFinalizer(() => Effect.andThen(Effect.sync(() => clearInterval(sweep)), refusals.sweep))
    const db = yield* Effect.acquireRelease(
      Effect.sync(() => openReadModelDatabase(join(config.dataDir, "readmodels.db"))),
      (db) => Effect.sync(() => db.close())
    )
    const projections = yield* makeProjectionRunner(db, allProjections)
      .pipe(Effect.provideService(EventStore, store))
    // Events leave the process only over NATS; without it nobody could receive them, so the
    // publisher (a second reader of the whole log) runs only when NATS is configured.
    if (config.natsUrl !== undefined) yield* Effect.forkScoped(runEventPublisher(store, events, db))
    return {
      store,
      commands,
      events,
      projections,
      readModels: db,
      users: makeUsersReadModel(db),
      groups: makeGroupsReadModel(db),
      domains: makeDomainsReadModel(db)
    }
  })

  const services = await Effect.runPromise(Scope.provide(scope)(wiring)).catch(async (error: unknown) => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  })

  const authenticator = makeAuthenticator({
    tokens,
    users: services.users,
    groups: services.groups,
    onApplied: services.projections.onApplied,
    keys: makeApiKeyVerifier({
      keys: makeApiKeysReadModel(services.readModels),
      users: services.users,
      groups: services.groups,
      hasher: apiKeyHasherFor(config.dataDir),
      limiter: makeKeyRateLimiter({ perSecond: config.keyRateLimit, burst: 2 * config.keyRateLimit })
    }),
    sessions: makeSessionRegistry(makeSessionsReadModel(services.readModels))
  })
  const loginThrottle = makeLoginThrottle({
    maxFailuresPerUsername: config.loginMaxFailures,
    maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
    windowSeconds: config.loginThrottleWindowSeconds
  })
  const sockets = new WebSocketRoutes()
  const context: ServerContext = { ...services, config, passwords, tokens, authenticator, loginThrottle, sockets }
  const router = new Router()
    .add("GET", "/healthz", healthz)
    .add("GET", "/readyz", readyz(services.projections))
  const loginHandler = login({ ...services, passwords, tokens, loginThrottle })
  router.add("POST", "/auth/login", loginHandler).add("POST", "/machhub/auth/login", loginHandler)
  const modules: ReadonlyArray<RouteModule> = [identityRoutes, apiKeyRoutes, sessionRoutes, machineRoutes, dataRoutes, auditRoutes, eventCatalogRoutes]
  for (const module of modules) module(router, context)
  router.guardAll((handler) => whenReady(services.projections, origins.track(handler)), ["/healthz", "/readyz"])

  let http: HttpServer
  try {
    http = await startHttpServer({
      host: config.host,
      port: config.port,
      router,
      maxBodyBytes: config.maxBodyBytes,
      configure: sockets.attach,
      onHandlerError: (error, request) =>
        log("error", "request handler failed", {
          correlationId: request.correlationId,
          route: `${request.method} ${request.path}`,
          error: error instanceof Error ? error.message : String(error)
        })
    })
  } catch (error) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  }

  const bootstrapped = Effect.runPromise(
    Effect.gen(function*() {
      yield* Effect.promise(async () => {
        while (!services.projections.isReady()) await new Promise((r) => setTimeout(r, 20))
      })
      const outcome = yield* bootstrapAdmin({ ...services, passwords, configuredPassword: config.adminPassword })
      if (outcome.created) {
        log("info", "created the bootstrap user admin (domain machhub_admin, group superuser)")
        if (outcome.generatedPassword !== undefined) hooks.onAdminPasswordGenerated?.(outcome.generatedPassword)
      }
    })
  ).catch((error: unknown) => {
    log("error", "could not create the bootstrap admin; set MACHHUB_ADMIN_PASSWORD and restart", {
      error: error instanceof Error ? error.message : String(error)
    })
  })

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      // Terminal sessions end first, with a close frame and their recordings stored.
      await sockets.close()
      await http.close(config.shutdownGraceMillis)
      await Effect.runPromise(Scope.close(scope, Exit.void))
    })())

  return { port: http.port, ...services, bootstrapped, stop }
}
