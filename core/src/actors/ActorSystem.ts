import { Cause, Context, Deferred, Effect, Exit, Fiber, Result, Scope } from "effect"
import type { Command, CommandReply } from "../commands/Command.js"
import type { CommandHandler } from "../commands/CommandBus.js"
import { CommandFailed, CommandOutcomeUnknown, CommandRejected, CommandUnavailable, type CommandError } from "../commands/errors.js"
import type { Aggregate } from "../decider/Aggregate.js"
import type { StoredEventInvalid } from "../decider/Schemas.js"
import { EventStore } from "../eventstore/EventStore.js"
import type { ActorRef, EventMeta, NewEvent, RecordedEvent } from "../eventstore/EventEnvelope.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
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
  /**
   * Per aggregate, how many of the most recent commands that carried an idempotency key are
   * remembered (from their events' meta) so that their retries are answered without deciding again.
   */
  readonly rememberedKeys?: number
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

/** Where the events of one command that carried an idempotency key landed: enough to answer its retry. */
interface KeyedOutcome {
  readonly commandId: string
  /** Stream version and global position of the command's last event. */
  readonly version: number
  readonly position: number
  readonly eventCount: number
  readonly at: string
}

/** A key counts per caller: another caller sending the same key is a different request. */
const keySlot = (actor: ActorRef, key: string): string => `${actor.kind}:${actor.id}\u0000${key}`

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
  /**
   * The stream's most recent keyed commands, oldest first (a Map iterates in insertion order); made
   * on the first one, since most aggregates (a record created once) never see a key.
   */
  keyed: Map<string, KeyedOutcome> | undefined
  fiber: Fiber.Fiber<void> | undefined
}

/**
 * The sender generated this aggregate's id, so the stream cannot exist yet. Not with an idempotency
 * key: ids of keyed creations derive from the key, so that a retry finds the first try's stream.
 */
const isFresh = (command: Command): boolean => command.newAggregate === true && command.idempotencyKey === undefined

/**
 * Hosts one actor (mailbox + fiber) per live aggregate. Commands to one aggregate run strictly in
 * order; different aggregates run concurrently. State is the fold of the stream, kept while the actor
 * lives. Correctness never rests on there being one actor per aggregate across processes: every append
 * carries the expected version, and a conflict reloads and decides again.
 *
 * A command with an idempotency key records it in its events' meta. A later command to the same
 * aggregate with the same key from the same actor is answered with that first reply (its version,
 * position and result as of then, marked `replayed`) without deciding again; since the keys are read
 * from the stream, this holds after a restart and whichever process's actor takes the retry. A store
 * failure that may have stored the append answers CommandOutcomeUnknown, any other CommandUnavailable.
 */
export const makeActorSystem = <R>(
  aggregates: ReadonlyArray<Aggregate<any, any, R>>,
  options: ActorSystemOptions = {}
): Effect.Effect<ActorSystemService, never, EventStore | Scope.Scope | R> =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const context = yield* Effect.context<R | EventStore>()
    // Actor fibers join the actor system's scope: closing it (the server stopping) interrupts them.
    const scope = yield* Scope.Scope
    const forkActor = Effect.runForkWith(context)
    // What a command decided in its caller's fiber (a fresh aggregate, below) needs from the context
    // the actor system was made in: all of it but the scope its actors are forked in. Providing it
    // merges it into the caller's context, which copies both (a new map and a new fiber cache per
    // command, a measurable share of a createRecord), so it is provided only to a caller whose context
    // lacks some of it or holds something else under its key; the server's request runner already
    // holds the same store and logger.
    // A context's keys are their services' string ids, so each entry is looked up by a key of that id.
    const callerEntries = [...Context.omit(Scope.Scope)(context).mapUnsafe].map(([id, value]) => ({ key: Context.Service<unknown>(id), value }))
    const inCallerContext = <A, E>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E> =>
      Effect.withFiber((fiber) =>
        callerEntries.every(({ key, value }) => Context.getOrUndefined(fiber.context, key) === value)
          ? (effect as Effect.Effect<A, E>)
          : Effect.provideContext(effect, context)
      )
    const idleMillis = options.idleMillis ?? 60_000
    const maxRetries = options.maxConflictRetries ?? 5
    const capacity = options.mailboxCapacity ?? 10_000
    const maxLive = options.maxLiveActors ?? 20_000
    const rememberedKeys = options.rememberedKeys ?? 128
    const now = options.now ?? (() => new Date())
    const byCategory = new Map(aggregates.map((aggregate) => [aggregate.category, aggregate] as const))
    const actors = new Map<string, Actor>()
    let closing = false

    const remember = (actor: Actor, slot: string, outcome: KeyedOutcome) => {
      const keyed = (actor.keyed ??= new Map())
      // Re-inserted, so that the Map's order stays "least recently used key first".
      keyed.delete(slot)
      keyed.set(slot, outcome)
      if (keyed.size > rememberedKeys) keyed.delete(keyed.keys().next().value!)
    }

    /** Notes an event of the stream that a keyed command appended. */
    const noteKeyed = (actor: Actor, meta: EventMeta, version: number, position: number) => {
      if (meta.idempotencyKey === undefined || meta.commandId === null) return
      const slot = keySlot(meta.actor, meta.idempotencyKey)
      const known = actor.keyed?.get(slot)
      if (known !== undefined && known.commandId === meta.commandId) {
        actor.keyed!.set(slot, { ...known, version, position, eventCount: known.eventCount + 1 })
      } else {
        remember(actor, slot, { commandId: meta.commandId, version, position, eventCount: 1, at: meta.at })
      }
    }

    /**
     * Folds stored events into a state, each decoded by the aggregate's event Schemas first (after its
     * upcast). An event that does not decode fails the load: folding past it would decide on a state
     * nobody can vouch for.
     */
    const foldStored = (
      aggregate: Aggregate<any, any, R>,
      state: unknown,
      events: ReadonlyArray<RecordedEvent>,
      each?: (event: RecordedEvent) => void
    ): Result.Result<unknown, StoredEventInvalid> => {
      const decode = aggregate.decodeEvent
      for (const event of events) {
        if (decode === undefined) {
          state = aggregate.evolve(state, event)
        } else {
          const decoded = decode(event)
          if (Result.isFailure(decoded)) return decoded
          state = aggregate.evolve(state, decoded.success)
        }
        each?.(event)
      }
      return Result.succeed(state)
    }

    const catchUp = (actor: Actor) =>
      store.readStream(actor.stream, actor.version + 1).pipe(
        Effect.flatMap((events) => {
          const folded = foldStored(actor.aggregate, actor.loaded ? actor.state : actor.aggregate.initialState(), events, (event) => {
            actor.version = event.version
            actor.position = event.position
            noteKeyed(actor, event.meta, event.version, event.position)
          })
          if (Result.isFailure(folded)) return Effect.fail(folded.failure)
          actor.state = folded.success
          actor.loaded = true
          return Effect.void
        })
      )

    const forget = (actor: Actor) => {
      actor.loaded = false
      actor.version = 0
      actor.position = 0
      actor.keyed = undefined
    }

    /**
     * The earlier outcome of a command with the same key from the same caller, answered again: its
     * version, position and time, and the result the aggregate gave, recomputed from the state right
     * after its events (read back from the log unless they are the stream's latest).
     */
    const replay = (actor: Actor, command: Command, earlier: KeyedOutcome): Effect.Effect<CommandReply, EventStoreUnavailable | StoredEventInvalid> =>
      Effect.gen(function*() {
        const first = earlier.version - earlier.eventCount + 1
        let state = actor.state
        let events
        if (earlier.version === actor.version) {
          events = yield* store.readStream(actor.stream, first, earlier.eventCount)
        } else {
          const history = yield* store.readStream(actor.stream, 1, earlier.version)
          const folded = foldStored(actor.aggregate, actor.aggregate.initialState(), history)
          if (Result.isFailure(folded)) return yield* folded.failure
          state = folded.success
          events = history.slice(first - 1)
        }
        return {
          stream: actor.stream,
          version: earlier.version,
          position: earlier.position,
          eventCount: earlier.eventCount,
          result: actor.aggregate.replyFor?.(command, state, events),
          at: earlier.at,
          replayed: true
        }
      })

    /** A store failure as the command's error: unknown outcome when an append may have been stored. */
    const unavailable = (actor: Actor, failure: EventStoreUnavailable): CommandError => {
      forget(actor)
      return failure.outcomeUnknown === true
        ? new CommandOutcomeUnknown({ message: failure.message })
        : new CommandUnavailable({ message: failure.message })
    }

    const decideAndAppend = (actor: Actor, command: Command): Effect.Effect<CommandReply, CommandError, R> =>
      Effect.gen(function*() {
        // Whether the state is known to be the log's, as of this command. A cached state may be behind
        // when other processes write the same log: an append would notice (its version check fails),
        // but an answer that appends nothing (a refusal, a no-op, a stale If-Match) would not, so such
        // an answer is given only after catching up.
        let current = false
        const slot = command.idempotencyKey === undefined ? undefined : keySlot(command.actor, command.idempotencyKey)
        if (!actor.loaded) {
          if (isFresh(command)) {
            actor.state = actor.aggregate.initialState()
            actor.loaded = true
          } else {
            yield* catchUp(actor)
          }
          current = true
        }
        for (let attempt = 0;; attempt++) {
          // Checked first, and again after every catch-up: a retry whose first try was committed (here
          // or by another process) is answered as it was then, whatever its If-Match or the state now.
          const earlier = slot === undefined ? undefined : actor.keyed?.get(slot)
          if (earlier !== undefined) return yield* replay(actor, command, earlier)
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
            at: at.toISOString(),
            ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey })
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
            if (slot !== undefined) {
              remember(actor, slot, { commandId: command.id, version: actor.version, position: actor.position, eventCount: events.length, at: meta.at })
            }
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
          if (failure._tag === "EventStoreUnavailable") return yield* Effect.fail(unavailable(actor, failure))
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
        Effect.catchTag("EventStoreUnavailable", (error) => Effect.fail(unavailable(actor, error))),
        // The stream holds an event its aggregate cannot read (written by a newer version, or damaged):
        // every command to it fails, with a message naming the event, until it is upcast or repaired.
        Effect.catchTag("StoredEventInvalid", (error) => {
          forget(actor)
          return Effect.logError(error.message).pipe(Effect.andThen(Effect.fail(new CommandFailed({ message: error.message }))))
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
      if (evicted.length > 0) forkActor(Fiber.interruptAll(evicted))
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
      fiber: undefined,
      keyed: undefined
    })

    const start = (stream: string, aggregate: Aggregate<any, any, R>): Actor => {
      if (actors.size >= maxLive) evictIdle()
      const actor = unregistered(stream, aggregate)
      actors.set(stream, actor)
      // Supervised: decideAndAppend turns every failure into the command's reply, so an actor's loop
      // ending otherwise is a bug. It is logged with its cause and the actor forgotten, so the next
      // command to the aggregate starts a fresh one instead of waiting on a dead mailbox.
      const supervised = run(actor).pipe(
        Effect.tapCause((cause) =>
          Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.suspend(() => {
            if (actors.get(actor.stream) === actor) actors.delete(actor.stream)
            const stopped = Exit.fail(new CommandFailed({ message: `the actor of ${actor.stream} stopped; retry the request` }))
            for (let queued = actor.mailbox.poll(); queued !== undefined; queued = actor.mailbox.poll()) Deferred.doneUnsafe(queued.reply, stopped)
            return Effect.logError(`the actor of ${actor.stream} stopped unexpectedly`, cause)
          })
        )
      )
      actor.fiber = Fiber.runIn(forkActor(supervised), scope)
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
        if (isFresh(command) && !actors.has(stream)) {
          // Nobody else can address an aggregate whose id was generated for this command, so there is
          // no queue to keep in order: decide in the caller's fiber, without a mailbox, fiber or idle
          // timer. The append's version check still guards the (impossible) case of a clash.
          return inCallerContext(decideAndAppend(unregistered(stream, aggregate), command))
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

