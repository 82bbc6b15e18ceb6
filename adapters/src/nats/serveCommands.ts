import { ActorSystem, type Command, type CommandError, type CommandHandler, CommandFailed, CommandRejected, commandSubject } from "@machhub/core"
import type { Msg } from "@nats-io/transport-node"
import { Cause, Effect, FiberSet, Layer, Schema, type Scope } from "effect"
import { decodeMsgpack, encodeMsgpack } from "./codec.js"
import { Nats, type NatsClient } from "./NatsClient.js"
import { CommandSchema, errorResponse, okResponse } from "./wire.js"

export interface ServeCommandsOptions {
  /** Queue group: each command goes to one member, so several processes share the load (default "mh-actors"). */
  readonly queue?: string
  /** Subject filter (default every command, `mh.cmd.*.*`). */
  readonly subject?: string
  /** On shutdown, how long in-flight commands may run to finish and reply, in ms (default 10 s). */
  readonly drainTimeout?: number
}

export const DEFAULT_COMMAND_QUEUE = "mh-actors"
export const ALL_COMMANDS_SUBJECT = "mh.cmd.*.*"
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000

const decodeCommandBody = Schema.decodeUnknownEffect(CommandSchema)

const invalid = (message: string) => new CommandRejected({ reason: "invalid", message })

/** Decodes a request into a Command that agrees with the subject it was sent on. */
const decodeCommand = (msg: Msg): Effect.Effect<Command, CommandRejected> =>
  Effect.try({ try: () => decodeMsgpack(msg.data), catch: () => invalid("malformed command: not MessagePack") }).pipe(
    Effect.flatMap((body) => decodeCommandBody(body).pipe(Effect.mapError((e) => invalid(`malformed command: ${e.message}`)))),
    Effect.filterOrFail(
      (command) => msg.subject === commandSubject(command.domain, command.category),
      () => invalid(`command domain/category do not match subject ${msg.subject}`)
    )
  )

/** Handles one request; never fails, so a bad message or a failing handler cannot stop serving. */
const answer = (handler: CommandHandler) => (msg: Msg): Effect.Effect<void> =>
  Effect.gen(function*() {
    const response = yield* decodeCommand(msg).pipe(
      Effect.flatMap((command) => Effect.suspend(() => handler(command))),
      Effect.map(okResponse),
      Effect.catch((error: CommandError) => Effect.succeed(errorResponse(error))),
      // Defects stay in our logs; the caller learns only that handling failed.
      Effect.catchCause((cause) =>
        Effect.logError("command handler died", Cause.pretty(cause)).pipe(
          Effect.as(errorResponse(new CommandFailed({ message: "command handling failed unexpectedly" })))
        )
      )
    )
    const replied = yield* Effect.try(() => msg.respond(encodeMsgpack(response))).pipe(
      // The reply itself may not be encodable or may exceed max_payload: still tell the caller.
      Effect.catch((error) =>
        Effect.logError("command reply could not be sent", String(error)).pipe(
          Effect.andThen(Effect.try(() =>
            msg.respond(encodeMsgpack(errorResponse(new CommandFailed({ message: "command reply could not be sent" }))))
          )),
          Effect.ignore,
          Effect.as(true)
        )
      )
    )
    if (!replied) yield* Effect.logWarning(`command on ${msg.subject} had no reply subject; its answer was dropped`)
  })

/**
 * Serves commands arriving on NATS to `handler`, one fiber per request, in the queue group so that
 * processes share the load. Requests without a reply subject are still handled (the sender chose not
 * to wait). When the scope closes, the subscription is drained (no new requests, pending ones are
 * delivered), in-flight handlers get `drainTimeout` to finish and reply, then are interrupted.
 */
export const serveCommands = (
  client: NatsClient,
  handler: CommandHandler,
  options: ServeCommandsOptions = {}
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Created first so that its finalizer (interrupting stragglers) runs after the drain below.
    const inFlight = yield* FiberSet.make<void, never>()
    const run = yield* FiberSet.runtime(inFlight)<never>()
    const handle = answer(handler)
    const drainTimeout = options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_MS

    yield* Effect.acquireRelease(
      Effect.sync(() =>
        client.connection.subscribe(options.subject ?? ALL_COMMANDS_SUBJECT, {
          queue: options.queue ?? DEFAULT_COMMAND_QUEUE,
          callback: (error, msg) => {
            if (error === null) run(handle(msg))
          }
        })
      ),
      (subscription) =>
        // Bounded: while disconnected a drain cannot complete, and shutdown must not hang on it.
        Effect.tryPromise(() => subscription.drain()).pipe(
          Effect.timeoutOption(drainTimeout),
          Effect.ignore,
          Effect.andThen(FiberSet.awaitEmpty(inFlight).pipe(Effect.timeoutOption(drainTimeout)))
        )
    )

    // Make sure the server knows the subscription before we report serving, so a dispatch that
    // follows cannot meet "no responders". While disconnected nats.js re-subscribes on reconnect.
    if (client.isConnected()) {
      yield* Effect.tryPromise(() => client.connection.flush()).pipe(Effect.timeoutOption(5_000), Effect.ignore)
    }
  })

/** Serves commands to this process's actor system on its `Nats` connection for the lifetime of the layer. */
export const ServeCommandsLayer = (options: ServeCommandsOptions = {}): Layer.Layer<never, never, Nats | ActorSystem> =>
  Layer.effectDiscard(
    ActorSystem.use((actors) => Nats.use((client) => serveCommands(client, actors.handle, options)))
  )
