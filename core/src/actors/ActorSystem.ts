import { Cause, Context, Deferred, Effect, Fiber, type Scope } from "effect"
import type { Command, CommandReply } from "../commands/Command.js"
import type { CommandHandler } from "../commands/CommandBus.js"
import { CommandFailed, CommandRejected, CommandUnavailable, type CommandError } from "../commands/errors.js"
import type { Aggregate } from "../decider/Aggregate.js"
import { EventStore } from "../eventstore/EventStore.js"
import type { NewEvent } from "../eventstore/EventEnvelope.js"
import { matchesExpectedVersion } from "../eventstore/ExpectedVersion.js"
import { uuidv7 } from "../ids/uuid.js"
import { isCategoryName, isDomainName, streamName } from "../ids/names.js"
import { Mailbox } from "./Mailbox.js"

export interface ActorSystemOptions {
  /** An actor with no command for this long is passivated: its state is dropped and reloaded on demand. */
  readonly idleMillis?: number
  /** Version conflicts (another writer got there first) are retried this many times after reloading. */
  readonly maxConflictRetries?: number
  /** Commands queued for one aggregate beyond this are refused as unavailable rather than buffered forever. */
  readonly mailboxCapacity?: number
  /** Live actors kept in memory at most; beyond it the least recently started idle ones are passivated. */
  readonly maxLiveActors?: number
  readonly now?: () => Date
}

export interface ActorSystemService {
  readonly handle: CommandHandler
  /** Number of aggregates currently held in memory. */
  readonly liveActors: () => number
}

export class ActorSystem extends Context.Service<ActorSystem, ActorSystemService>()("@machhub/core/ActorSystem") {}

interface Envelope {
  readonly command: Command
  readonly reply: Deferred.Deferred<CommandReply, CommandError>
}

/** One live aggregate: its mailbox, its folded state and where its stream stands. */
interface Actor {
  readonly stream: string
  readonly aggregate: Aggregate<any, any, any>
  readonly mailbox: Mailbox<Envelope>
  loaded: boolean
  state: unknown
  version: number
  position: number
  /** True while a command is being decided and appended. */
  busy: boolean
  fiber: Fiber.Fiber<void> | undefined
}

/**
 * Hosts one actor (mailbox + fiber) per live aggregate. Commands to one aggregate run strictly in
 * order; different aggregates run concurrently. State is the fold of the stream, kept while the actor
 * lives. Correctness never rests on there being one actor per aggregate across processes: every append
 * carries the expected version, and a conflict reloads and decides again.
 */
export const makeActorSystem = <R>(
  aggregates: ReadonlyArray<Aggregate<any, any, R>>,
  options: ActorSystemOptions = {}
): Effect.Effect<ActorSystemService, never, EventStore | Scope.Scope | R> =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const context = yield* Effect.context<R | EventStore>()
    const idleMillis = options.idleMillis ?? 60_000
    const maxRetries = options.maxConflictRetries ?? 5
    const capacity = options.mailboxCapacity ?? 10_000
    const maxLive = options.maxLiveActors ?? 20_000
    const now = options.now ?? (() => new Date())
    const byCategory = new Map(aggregates.map((aggregate) => [aggregate.category, aggregate] as const))
    const actors = new Map<string, Actor>()
    let closing = false

    const catchUp = (actor: Actor) =>
      store.readStream(actor.stream, actor.version + 1).pipe(
        Effect.map((events) => {
          if (!actor.loaded) actor.state = actor.aggregate.initialState()
          for (const event of events) {
            actor.state = actor.aggregate.evolve(actor.state, event)
            actor.version = event.version
            actor.position = event.position
          }
          actor.loaded = true
        })
      )

    const forget = (actor: Actor) => {
      actor.loaded = false
      actor.version = 0
      actor.position = 0
    }

    const decideAndAppend = (actor: Actor, command: Command): Effect.Effect<CommandReply, CommandError, R> =>
      Effect.gen(function*() {
        // Whether the state is known to be the log's, as of this command. A cached state may be behind
        // when other processes write the same log: an append would notice (its version check fails),
        // but an answer that appends nothing (a refusal, a no-op, a stale If-Match) would not, so such
        // an answer is given only after catching up.
        let current = false
        if (!actor.loaded) {
          if (command.newAggregate === true) {
            actor.state = actor.aggregate.initialState()
            actor.loaded = true
          } else {
            yield* catchUp(actor)
          }
          current = true
        }
        for (let attempt = 0;; attempt++) {
          if (command.expectedVersion !== undefined && !matchesExpectedVersion(command.expectedVersion, actor.version)) {
            if (!current) {
              yield* catchUp(actor)
              current = true
              continue
            }
            return yield* new CommandRejected({
              reason: "precondition_failed",
              message: `${actor.stream} is at version ${actor.version}, not ${String(command.expectedVersion)}`
            })
          }
          const decided = yield* Effect.result(actor.aggregate.handle(command, actor.state))
          if (!current && (decided._tag === "Failure" || decided.success.events.length === 0)) {
            yield* catchUp(actor)
            current = true
            continue
          }
          if (decided._tag === "Failure") return yield* decided.failure
          const decision = decided.success
          if (decision.events.length === 0) {
            return { stream: actor.stream, version: actor.version, position: actor.position, eventCount: 0, result: decision.result }
          }
          const at = now()
          const meta = {
            domain: command.domain,
            actor: command.actor,
            correlationId: command.correlationId,
            causationId: command.causationId ?? command.id,
            commandId: command.id,
            at: at.toISOString()
          }
          const events: Array<NewEvent> = decision.events.map((event) => ({
            id: uuidv7(at.getTime()),
            type: event.type,
            data: event.data,
            meta
          }))
          const appended = yield* Effect.result(store.append(actor.stream, actor.version, events))
          if (appended._tag === "Success") {
            for (const event of decision.events) actor.state = actor.aggregate.evolve(actor.state, event)
            actor.version = appended.success.version
            actor.position = appended.success.position
            return {
              stream: actor.stream,
              version: actor.version,
              position: actor.position,
              eventCount: events.length,
              result: decision.result,
              at: meta.at
            }
          }
          const failure = appended.failure
          if (failure._tag === "EventStoreUnavailable") {
            forget(actor)
            return yield* new CommandUnavailable({ message: failure.message })
          }
          if (attempt >= maxRetries) {
            forget(actor)
            return yield* new CommandRejected({
              reason: "conflict",
              message: `${actor.stream} kept changing while the command was decided; retry the request`
            })
          }
          // Another writer appended first: fold what it wrote and decide again on the fresh state.
          yield* catchUp(actor)
          current = true
        }
      }).pipe(
        Effect.catchTag("EventStoreUnavailable", (error) => {
          forget(actor)
          return Effect.fail(new CommandUnavailable({ message: error.message }))
        }),
        Effect.catchDefect((defect) => {
          forget(actor)
          return Effect.logError(`command ${command.type} on ${actor.stream} failed`, Cause.fail(defect)).pipe(
            Effect.andThen(Effect.fail(new CommandFailed({ message: `handling ${command.type} failed unexpectedly` })))
          )
        })
      ) as Effect.Effect<CommandReply, CommandError, R>

    const run = (actor: Actor): Effect.Effect<void, never, R> =>
      Effect.gen(function*() {
        while (true) {
          const envelope = actor.mailbox.poll()
          if (envelope === undefined) {
            const woke = yield* actor.mailbox.awaitItem(idleMillis)
            // Checked and removed in one synchronous step: no command can slip in between.
            if (!woke && actor.mailbox.size === 0) {
              actors.delete(actor.stream)
              return
            }
            continue
          }
          actor.busy = true
          const exit = yield* Effect.exit(decideAndAppend(actor, envelope.command))
          actor.busy = false
          Deferred.doneUnsafe(envelope.reply, exit)
        }
      })

    /**
     * Keeps memory bounded when many aggregates are touched once (every new record is one): passivates
     * idle actors, oldest first (a Map iterates in insertion order), down to 90% of the cap. Runs
     * synchronously, so an actor it removes has an empty mailbox and no command in hand.
     */
    const evictIdle = () => {
      const target = Math.floor(maxLive * 0.9)
      const evicted: Array<Fiber.Fiber<void>> = []
      for (const actor of actors.values()) {
        if (actors.size <= target) break
        if (actor.busy || actor.mailbox.size > 0) continue
        actors.delete(actor.stream)
        if (actor.fiber !== undefined) evicted.push(actor.fiber)
      }
      if (evicted.length > 0) Effect.runFork(Fiber.interruptAll(evicted))
    }

    const unregistered = (stream: string, aggregate: Aggregate<any, any, R>): Actor => ({
      stream,
      aggregate,
      mailbox: new Mailbox<Envelope>(),
      loaded: false,
      state: undefined,
      version: 0,
      position: 0,
      busy: false,
      fiber: undefined
    })

    const start = (stream: string, aggregate: Aggregate<any, any, R>): Actor => {
      if (actors.size >= maxLive) evictIdle()
      const actor = unregistered(stream, aggregate)
      actors.set(stream, actor)
      actor.fiber = Effect.runForkWith(context)(run(actor))
      return actor
    }

    const handle: CommandHandler = (command) =>
      Effect.suspend(() => {
        if (closing) return Effect.fail(new CommandUnavailable({ message: "the server is shutting down; retry shortly" }))
        const aggregate = byCategory.get(command.category)
        if (aggregate === undefined) {
          return Effect.fail(new CommandRejected({ reason: "invalid", message: `unknown command category ${command.category}` }))
        }
        if (!isDomainName(command.domain) || !isCategoryName(command.category) || command.aggregateId.length === 0) {
          return Effect.fail(new CommandRejected({ reason: "invalid", message: "command names no valid aggregate" }))
        }
        const stream = streamName(command.category, command.domain, command.aggregateId)
        if (command.newAggregate === true && !actors.has(stream)) {
          // Nobody else can address an aggregate whose id was generated for this command, so there is
          // no queue to keep in order: decide in the caller's fiber, without a mailbox, fiber or idle
          // timer. The append's version check still guards the (impossible) case of a clash.
          return decideAndAppend(unregistered(stream, aggregate), command).pipe(Effect.provideContext(context))
        }
        const actor = actors.get(stream) ?? start(stream, aggregate)
        if (actor.mailbox.size >= capacity) {
          return Effect.fail(new CommandUnavailable({ message: `${stream} is overloaded; retry shortly` }))
        }
        const reply = Deferred.makeUnsafe<CommandReply, CommandError>()
        actor.mailbox.offer({ command, reply })
        return Deferred.await(reply)
      })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        closing = true
        // Let queued commands finish (bounded), then stop the idle fibers.
        const pending = () => [...actors.values()].some((actor) => actor.busy || actor.mailbox.size > 0)
        for (let waited = 0; waited < 5_000 && pending(); waited += 10) {
          yield* Effect.sleep(10)
        }
        const fibers = [...actors.values()].flatMap((actor) => (actor.fiber ? [actor.fiber] : []))
        actors.clear()
        yield* Fiber.interruptAll(fibers)
      })
    )

    return { handle, liveActors: () => actors.size }
  })

