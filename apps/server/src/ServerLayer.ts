import { join } from "node:path"
import { Cause, Context, Effect, FiberSet, Layer, Logger, Schedule, Scope } from "effect"
import {
  InProcessCommandBusLayer,
  InProcessEventBusLayer,
  JetStreamEventStore,
  JwtTokenServiceLayer,
  KurrentDbEventStore,
  loadOrCreateSigningKey,
  Nats,
  NatsCommandBusLayer,
  NatsEventBusLayer,
  ScryptPasswordHasherLayer,
  ServeCommandsLayer,
  SqliteEventStore
} from "@machhub/adapters"
import {
  ActorSystem,
  coreAggregates,
  CommandBus,
  EventBus,
  EventStore,
  makeActorSystem,
  PasswordHasher,
  TokenService
} from "@machhub/core"
import {
  allProjections,
  makeApiKeysReadModel,
  makeGroupsReadModel,
  makeSessionsReadModel,
  makeUsersReadModel,
  ProjectionRunner,
  ReadModelDatabase
} from "@machhub/projections"
import { apiKeyHasherFor } from "./auth/apiKeyHasher.js"
import { makeApiKeyVerifier } from "./auth/ApiKeyVerifier.js"
import { makeAuthenticator } from "./auth/Authenticator.js"
import { makeKeyRateLimiter } from "./auth/KeyRateLimiter.js"
import { makeKeyUsageSampler } from "./auth/KeyUsageSampler.js"
import { makeSessionRegistry } from "./auth/SessionRegistry.js"
import { makeRefusalRecorder } from "./audit/RefusalRecorder.js"
import type { RequestOrigins } from "./audit/RequestOrigins.js"
import type { ServerConfig } from "./config.js"
import { runEventPublisher } from "./EventPublisher.js"
import { JsonLinesLoggerLayer } from "./log.js"
import { keepsReadModels } from "./roles.js"
import { BootstrapAdminLayer, type BootstrapHooks } from "./layers/BootstrapAdminLayer.js"
import { EdgeLayer } from "./layers/EdgeLayer.js"
import { FlowsLayer } from "./layers/FlowsLayer.js"
import { HttpRoutesLayer } from "./layers/HttpRoutesLayer.js"
import { HttpServerLayer } from "./layers/HttpServerLayer.js"
import { MqttLayer } from "./layers/MqttLayer.js"
import { NatsTagValuesLayer } from "./layers/NatsTagValuesLayer.js"
import { ProcessesLayer } from "./layers/ProcessesLayer.js"
import { RunnerLayer } from "./layers/RunnerLayer.js"
import { SandboxLayer } from "./layers/SandboxLayer.js"
import { AdminBootstrap, Authenticator, Edge, EdgeTagValues, HttpListener, HttpRoutes, Runner } from "./layers/services.js"
import { TagValuesLayer } from "./layers/TagValuesLayer.js"


/**
 * Background work of the server, forked into the runtime's scope: interrupted when the server stops,
 * and should it end with anything but that interruption (a defect: a bug), logged as an error rather
 * than lost with its fiber.
 */
const supervised = <A, E>(name: string, work: Effect.Effect<A, E>) =>
  work.pipe(
    Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError(`${name} stopped unexpectedly`, cause)),
    Effect.forkScoped
  )

export { Authenticator }

/** The log, where the configuration says; config validated that each store's address is set. */
const EventStoreLayer = (config: ServerConfig) => {
  switch (config.store) {
    case "jetstream":
      return JetStreamEventStore.layer({ servers: config.natsUrl!, streamName: config.jetstreamStream, replicas: config.jetstreamReplicas })
    case "kurrentdb":
      return KurrentDbEventStore.layer({ connectionString: config.kurrentDbUrl! })
    case "sqlite":
      return SqliteEventStore.layer({ path: join(config.dataDir, "events.db"), synchronous: config.sqliteSynchronous })
  }
}

/**
 * Password hashing and tokens. The signing key is read (or made) when the layer is built, so a key
 * file that cannot be read fails the start like any other layer and the data dir lock is released.
 */
const CryptoLayer = (config: ServerConfig) =>
  Layer.merge(
    ScryptPasswordHasherLayer({ logN: config.passwordCost }),
    Layer.suspend(() =>
      JwtTokenServiceLayer({
        keys: loadOrCreateSigningKey(join(config.dataDir, "keys", "token-signing.pem")),
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        lifetimeSeconds: config.jwtLifetimeSeconds
      })
    )
  )

/**
 * The actor system keeps the context it is made in and provides it to the command of every fresh
 * aggregate (each createRecord), which merges it into that command's context. Made in the whole
 * server's context, every such merge would copy all of its services; it is made in one holding only
 * what it uses: the store, its scope and the logger.
 */
const ActorSystemLayer = Layer.effect(
  ActorSystem,
  makeActorSystem(coreAggregates).pipe(
    Effect.updateContext((context: Context.Context<EventStore | Scope.Scope>) =>
      Context.pick(EventStore, Scope.Scope, Logger.CurrentLoggers)(context))
  )
)

/**
 * Where commands go. On an actor host without NATS, straight to its actor system. With NATS every
 * command travels through the queue group, so any actor host may take it, this one included; the
 * store's expected-version check serializes an aggregate's writers. Config guarantees NATS whenever
 * roles are split (they need a shared store and NATS).
 */
const CommandBusLayer = (config: ServerConfig): Layer.Layer<CommandBus, never, EventStore | Nats> => {
  if (!config.roles.has("actors")) return NatsCommandBusLayer()
  if (config.natsUrl === undefined) return InProcessCommandBusLayer.pipe(Layer.provide(ActorSystemLayer))
  return Layer.merge(NatsCommandBusLayer(), ServeCommandsLayer()).pipe(Layer.provide(ActorSystemLayer))
}

/**
 * On the edge, every command a rule refuses is recorded (CommandRefused), here, for every route at
 * once. Counted refusals are written every minute and once more when the layer closes.
 */
const RefusalRecordingLayer = (origins: RequestOrigins): Layer.Layer<CommandBus, never, CommandBus | EventStore> =>
  Layer.effect(
    CommandBus,
    Effect.gen(function*() {
      const inner = yield* CommandBus
      const store = yield* EventStore
      const refusals = makeRefusalRecorder(inner, { store, addressOf: (id) => origins.addressOf(id) })
      yield* Effect.addFinalizer(() => refusals.sweep)
      yield* supervised("the refusal recorder's sweep", refusals.sweep.pipe(Effect.repeat(Schedule.spaced("60 seconds")), Effect.delay("60 seconds")))
      return refusals.commands
    })
  )

/** This node's read-model database and the projections that keep it up to date from the log. */
const ReadModelsLayer = (config: ServerConfig) =>
  ProjectionRunner.layer(allProjections).pipe(Layer.provideMerge(ReadModelDatabase.layer(join(config.dataDir, "readmodels.db"))))

/**
 * Events leave the process only over NATS; without it nobody could receive them. Only processes with
 * the projections role publish, so a deployment chooses how many publishers it runs.
 */
const EventPublisherLayer = Layer.effectDiscard(
  Effect.gen(function*() {
    const store = yield* EventStore
    const bus = yield* EventBus
    const db = yield* ReadModelDatabase
    yield* supervised("the event publisher", runEventPublisher(store, bus, db))
  })
)

/** The authenticator of the edge; API key uses are recorded by fibers that stopping the server interrupts. */
const AuthenticatorLayer = (config: ServerConfig) =>
  Layer.effect(
    Authenticator,
    Effect.gen(function*() {
      const db = yield* ReadModelDatabase
      const projections = yield* ProjectionRunner
      const tokens = yield* TokenService
      const commands = yield* CommandBus
      const fork = yield* FiberSet.makeRuntime<never, void, never>()
      const users = makeUsersReadModel(db)
      const groups = makeGroupsReadModel(db)
      return makeAuthenticator({
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
        onKeyUsed: makeKeyUsageSampler({ commands, fork }).sample
      })
    })
  )

/** Everything a server may provide; which of it a process has depends on its roles. */
export type ServerServices =
  | EventStore
  | CommandBus
  | EventBus
  | Nats
  | ActorSystem
  | ReadModelDatabase
  | ProjectionRunner
  | Authenticator
  | PasswordHasher
  | TokenService
  | Runner
  | HttpRoutes
  | EdgeTagValues
  | Edge
  | HttpListener
  | AdminBootstrap

/**
 * The process as Layers, as its roles say. Underneath, the core: store, NATS, buses (and the actor
 * system serving them), crypto, read models with their projections, the event publisher, the
 * authenticator. Above it, one on top of the other, so that each starts after the one below and
 * stops before it: the runner of route programs, the router with the health routes, and on an edge
 * the sandbox, the tag values, the edge's routes, tag values on NATS, flows, processes and MQTT;
 * then the HTTP server, started once every route is in place and stopped first, and on an edge the
 * creation of the bootstrap admin. The JSON lines logger is under all of them, so fibers they fork
 * log like the rest of the server. Released in reverse order: requests drained before the
 * subsystems stop, subsystems before the tag values close, publisher and projections before the
 * database, buses before the store.
 */
export const ServerLayer = (config: ServerConfig, origins: RequestOrigins, hooks: BootstrapHooks = {}): Layer.Layer<ServerServices, unknown> => {
  const roles = config.roles
  // The layers below that need `Nats` are chosen only when NATS_URL is set, so without it the
  // requirement is never really there; the types cannot follow that choice, hence the casts.
  const nats = config.natsUrl === undefined ? undefined : Nats.layer({ servers: config.natsUrl, name: "machhub-server" })
  const infrastructure = (nats === undefined ? EventStoreLayer(config) : Layer.merge(EventStoreLayer(config), nats)) as Layer.Layer<
    EventStore | Nats,
    unknown
  >
  const inner = CommandBusLayer(config)
  const commands = roles.has("edge") ? RefusalRecordingLayer(origins).pipe(Layer.provide(inner)) : inner
  const events: Layer.Layer<EventBus, never, Nats> = nats === undefined
    ? InProcessEventBusLayer()
    : NatsEventBusLayer({ format: config.eventFormat })
  const core = Layer.merge(commands, events).pipe(Layer.provideMerge(infrastructure), Layer.merge(CryptoLayer(config)))
  let layer = core as Layer.Layer<ServerServices, unknown>
  if (keepsReadModels(roles)) {
    let readModels = ReadModelsLayer(config) as Layer.Layer<ServerServices, unknown, ServerServices>
    if (nats !== undefined && roles.has("projections")) readModels = EventPublisherLayer.pipe(Layer.provideMerge(readModels))
    if (roles.has("edge")) readModels = AuthenticatorLayer(config).pipe(Layer.provideMerge(readModels)) as typeof readModels
    layer = readModels.pipe(Layer.provideMerge(core)) as Layer.Layer<ServerServices, unknown>
  }
  const servesApi = roles.has("edge") && keepsReadModels(roles)
  // Each needs some of what is below it; as the roles choose them, the types cannot follow, hence the cast.
  const outer = [
    RunnerLayer,
    HttpRoutesLayer({ port: config.port, servesApi }),
    ...(servesApi
      ? [SandboxLayer(config), TagValuesLayer(config), EdgeLayer(config, origins), NatsTagValuesLayer, FlowsLayer, ProcessesLayer, MqttLayer]
      : []),
    HttpServerLayer(config),
    ...(servesApi ? [BootstrapAdminLayer(config.adminPassword, hooks)] : [])
  ] as unknown as ReadonlyArray<Layer.Layer<ServerServices, unknown, ServerServices>>
  for (const next of outer) layer = next.pipe(Layer.provideMerge(layer)) as Layer.Layer<ServerServices, unknown>
  return layer.pipe(Layer.provideMerge(JsonLinesLoggerLayer))
}
