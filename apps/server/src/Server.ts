import type Database from "better-sqlite3"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Schedule, Scope } from "effect"
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
  makeKurrentDbEventStore,
  makeSqliteEventStore,
  Router,
  serveCommands,
  startHttpServer,
  WebSocketRoutes,
  type HttpServer
} from "@machhub/adapters"
import {
  apiKeyAggregate,
  apiKeyUseAggregate,
  domainAggregate,
  EventStore,
  type EventStoreUnavailable,
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
  type EventStoreService,
  type PasswordHasherService,
  type TokenServiceService
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
import { makeKeyUsageSampler } from "./auth/KeyUsageSampler.js"
import { makeAuthenticator } from "./auth/Authenticator.js"
import { makeSessionRegistry } from "./auth/SessionRegistry.js"
import { makeLoginThrottle } from "./auth/LoginThrottle.js"
import { mount } from "./api/mount.js"
import { mountEdgeRoutes, UNGATED_PATHS } from "./routes/index.js"
import { makeRefusalRecorder } from "./audit/RefusalRecorder.js"
import { RequestOrigins } from "./audit/RequestOrigins.js"
import type { ServerContext } from "./ServerContext.js"
import { bootstrapAdmin } from "./bootstrapAdmin.js"
import type { ServerConfig } from "./config.js"
import { runEventPublisher } from "./EventPublisher.js"
import { log } from "./log.js"
import { commandIntakeReadiness, edgeReadiness, healthRoutes, readModelsReadiness } from "./routes/health.js"
import { readModelGate } from "./routes/readModelGate.js"
import { keepsReadModels } from "./roles.js"

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
}

export interface ServerHooks {
  /** Receives a generated admin password, the one time it exists in clear. */
  readonly onAdminPasswordGenerated?: (password: string) => void
}

/** The log, where the configuration says; config validated that each store's address is set. */
const openEventStore = (config: ServerConfig): Effect.Effect<EventStoreService, EventStoreUnavailable, Scope.Scope> => {
  switch (config.store) {
    case "jetstream":
      return makeJetStreamEventStore({ servers: config.natsUrl!, streamName: config.jetstreamStream, replicas: config.jetstreamReplicas })
    case "kurrentdb":
      return makeKurrentDbEventStore({ connectionString: config.kurrentDbUrl! })
    case "sqlite":
      return makeSqliteEventStore({ path: join(config.dataDir, "events.db"), synchronous: config.sqliteSynchronous })
  }
}

/** This node's read-model database and the projections that keep it up to date from the log. */
const openReadModels = (store: EventStoreService, dataDir: string) =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.sync(() => openReadModelDatabase(join(dataDir, "readmodels.db"))),
      (db) => Effect.sync(() => db.close())
    )
    const projections = yield* makeProjectionRunner(db, allProjections).pipe(Effect.provideService(EventStore, store))
    return { db, projections }
  })

const AGGREGATES = [
  userAggregate,
  failedLoginAggregate,
  usernameAggregate,
  domainAggregate,
  groupAggregate,
  apiKeyAggregate,
  apiKeyUseAggregate,
  sessionAggregate,
  machineAggregate,
  machineVaultAggregate,
  machineIdsAggregate,
  recordAggregate,
  collectionAggregate
]

/** The composition root: wires store, actors, buses, projections and the HTTP edge for one process, as its roles say. */
export const startServer = async (config: ServerConfig, hooks: ServerHooks = {}): Promise<RunningServer> => {
  const roles = config.roles
  // Everything this process creates (the data dir, events.db, readmodels.db and their WAL/SHM files,
  // keys/) holds the log or credential material: owner-only, whatever the umask it was started with.
  process.umask(0o077)
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
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
    const store = yield* openEventStore(config)
    const nats = config.natsUrl === undefined ? undefined : yield* connectNats({ servers: config.natsUrl, name: "machhub-server" })
    let commands: CommandBusService
    if (roles.has("actors")) {
      const actors = yield* makeActorSystem(AGGREGATES).pipe(Effect.provideService(EventStore, store))
      if (nats === undefined) commands = makeInProcessCommandBus(actors.handle)
      else {
        // With NATS every command travels through the queue group, so any actor host may take it,
        // this one included; the store's expected-version check serializes an aggregate's writers.
        yield* serveCommands(nats, actors.handle)
        commands = makeNatsCommandBus(nats)
      }
    } else {
      // Config guarantees NATS whenever roles are split (they need a shared store and NATS).
      commands = makeNatsCommandBus(nats!)
    }
    const events: EventBusService = nats === undefined
      ? yield* makeInProcessEventBus()
      : makeNatsEventBus(nats, { format: config.eventFormat })
    if (roles.has("edge")) {
      // Every command a rule refuses is recorded (CommandRefused), here, for every route at once.
      const refusals = makeRefusalRecorder(commands, { store, addressOf: (id) => origins.addressOf(id) })
      commands = refusals.commands
      const sweep = setInterval(() => Effect.runFork(refusals.sweep), 60_000)
      sweep.unref()
      yield* Effect.addFinalizer(() => Effect.andThen(Effect.sync(() => clearInterval(sweep)), refusals.sweep))
    }
    const readModels = keepsReadModels(roles) ? yield* openReadModels(store, config.dataDir) : undefined
    // Events leave the process only over NATS; without it nobody could receive them. Only processes
    // with the projections role publish, so a deployment chooses how many publishers it runs.
    if (nats !== undefined && readModels !== undefined && roles.has("projections")) {
      yield* Effect.forkScoped(runEventPublisher(store, events, readModels.db))
    }
    return { store, commands, events, nats, readModels }
  })

  const services = await Effect.runPromise(Scope.provide(scope)(wiring)).catch(async (error: unknown) => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  })

  const sockets = new WebSocketRoutes()
  const { readModels, nats } = services
  const router = new Router()
  const servesApi = roles.has("edge") && readModels !== undefined
  // Set once the bootstrap admin exists: an edge is not ready (and its routes answer 503) before.
  let adminExists = false
  const hasAdmin = () => adminExists
  mount(router, healthRoutes(
    readModels === undefined
      ? commandIntakeReadiness(nats!)
      : servesApi
      ? edgeReadiness(readModelsReadiness(readModels.projections), hasAdmin)
      : readModelsReadiness(readModels.projections)
  ))
  const edge = servesApi
    ? mountEdge(router, { ...services, readModels: readModels!, config, passwords, tokens, sockets, origins, hasAdmin })
    : undefined

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

  const stopped = new AbortController()
  const bootstrapped = edge === undefined
    ? Promise.resolve()
    : createBootstrapAdmin(edge, config.adminPassword, hooks, stopped.signal, () => (adminExists = true))

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      stopped.abort()
      // Terminal sessions end first, with a close frame and their recordings stored.
      await sockets.close()
      await http.close(config.shutdownGraceMillis)
      await Effect.runPromise(Scope.close(scope, Exit.void))
    })())

  const { store, commands, events } = services
  return { port: http.port, store, commands, events, projections: readModels?.projections, bootstrapped, stop }
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
  readonly origins: RequestOrigins
  readonly hasAdmin: () => boolean
}

/** The edge role: every API route, answered from this node's read models, with commands sent on the bus. */
const mountEdge = (router: Router, parts: EdgeParts): ServerContext => {
  const { config, readModels, tokens, passwords, origins, hasAdmin } = parts
  const { db, projections } = readModels
  const users = makeUsersReadModel(db)
  const groups = makeGroupsReadModel(db)
  const authenticator = makeAuthenticator({
    tokens,
    users,
    groups,
    onApplied: projections.onApplied,
    keys: makeApiKeyVerifier({
      keys: makeApiKeysReadModel(db),
      users,
      groups,
      hasher: apiKeyHasherFor(config.dataDir),
      limiter: makeKeyRateLimiter({ perSecond: config.keyRateLimit, burst: 2 * config.keyRateLimit })
    }),
    sessions: makeSessionRegistry(makeSessionsReadModel(db)),
    onKeyUsed: makeKeyUsageSampler({ commands: parts.commands }).sample
  })
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
    authenticator,
    loginThrottle
  }
  mountEdgeRoutes(router, context)
  router.guardAll((handler) => readModelGate(projections, hasAdmin, origins.track(handler)), ["/healthz", "/readyz", ...UNGATED_PATHS])
  return context
}

/** Once the read models are current (so an admin made earlier, perhaps by another node, is seen), makes sure one exists. */
const createBootstrapAdmin = (
  context: ServerContext,
  configuredPassword: string | undefined,
  hooks: ServerHooks,
  signal: AbortSignal,
  onAdminExists: () => void
): Promise<void> => {
  let waiting = false
  return Effect.runPromise(
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
