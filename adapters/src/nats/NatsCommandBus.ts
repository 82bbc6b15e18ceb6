import {
  type Command,
  CommandBus,
  type CommandBusService,
  type CommandError,
  CommandFailed,
  CommandOutcomeUnknown,
  type CommandReply,
  CommandUnavailable,
  commandSubject
} from "@machhub/core"
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  type Msg,
  RequestError,
  TimeoutError
} from "@nats-io/transport-node"
import { Effect, Layer, Schema } from "effect"
import { decodeMsgpack, encodeMsgpack } from "./codec.js"
import { Nats, type NatsClient } from "./NatsClient.js"
import { CommandResponseSchema } from "./wire.js"

export interface NatsCommandBusOptions {
  /** How long to wait for a reply, in ms (default 10 s); no reply answers CommandOutcomeUnknown. */
  readonly requestTimeout?: number
}

export const DEFAULT_COMMAND_REQUEST_TIMEOUT_MS = 10_000

const decodeResponse = Schema.decodeUnknownEffect(CommandResponseSchema)

/**
 * Why a request got no reply, as the error the caller sees. Unavailable only when the command surely
 * reached no handler: nobody subscribes (the server says "no responders"), or nats.js refused to send
 * it at all (a closed or draining connection is refused before anything is written). Once sent, a
 * missing reply (timeout, connection lost or closed meanwhile) leaves the outcome unknown: a handler
 * may have applied it and its reply been lost.
 */
const requestFailure = (subject: string, timeoutMs: number) => (error: unknown): CommandError => {
  if (error instanceof RequestError && error.isNoResponders()) {
    return new CommandUnavailable({ message: `no service is handling commands on ${subject}` })
  }
  if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
    return new CommandOutcomeUnknown({ message: `no reply on ${subject} within ${timeoutMs} ms` })
  }
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) {
    return new CommandUnavailable({ message: `command bus unavailable: ${error.message}` })
  }
  if (error instanceof ConnectionError || error instanceof RequestError) { // e.g. "connection closed"
    return new CommandOutcomeUnknown({ message: `command bus connection lost while waiting for the reply: ${error.message}` })
  }
  // Anything else is local (e.g. a payload over the server's max_payload): retrying will not help.
  return new CommandFailed({ message: `command could not be sent: ${error instanceof Error ? error.message : String(error)}` })
}

/** Refused before sending: nats.js would only buffer the request while it reconnects. */
const disconnected = new CommandUnavailable({ message: "command bus unavailable: NATS is disconnected" })

/** The connection dropped after the request went out: its reply can no longer reach us. */
const lostInFlight = new CommandOutcomeUnknown({ message: "the command bus connection was lost while waiting for the reply" })

/**
 * Client side of NATS request/reply on `mh.cmd.<domain>.<category>`.
 *
 * nats.js keeps requests made while reconnecting in its outbound buffer and lets them wait for the
 * full timeout, so dispatch consults the tracked status first and refuses at once while disconnected
 * (CommandUnavailable: nothing was sent), and abandons a request in flight as soon as the connection
 * drops (CommandOutcomeUnknown: it may have been handled, but its reply could no longer reach us).
 * The same objects work again once nats.js has reconnected.
 */
export const makeNatsCommandBus = (client: NatsClient, options: NatsCommandBusOptions = {}): CommandBusService => {
  const timeoutMs = options.requestTimeout ?? DEFAULT_COMMAND_REQUEST_TIMEOUT_MS

  const decodeReply = (msg: Msg): Effect.Effect<CommandReply, CommandError> =>
    Effect.try({
      try: () => decodeMsgpack(msg.data),
      catch: () => new CommandFailed({ message: "malformed reply from the command handler" })
    }).pipe(
      Effect.flatMap((body) =>
        decodeResponse(body).pipe(
          Effect.mapError(() => new CommandFailed({ message: "malformed reply from the command handler" }))
        )
      ),
      Effect.flatMap((response) => (response.ok ? Effect.succeed(response.reply) : Effect.fail(response.error)))
    )

  // Every command's path: a plain function rather than Effect.fn (see the in-process bus).
  const dispatch = (command: Command): Effect.Effect<CommandReply, CommandError> =>
    Effect.suspend(() => {
      if (!client.isConnected()) return Effect.fail(disconnected)
      const subject = commandSubject(command.domain, command.category)
      return Effect.try({
        try: () => encodeMsgpack(command),
        catch: (error) => new CommandFailed({ message: `command could not be encoded: ${String(error)}` })
      }).pipe(
        Effect.flatMap((body) =>
          Effect.tryPromise({
            try: () => client.connection.request(subject, body, { timeout: timeoutMs }),
            catch: requestFailure(subject, timeoutMs)
          })
        ),
        Effect.raceFirst(client.awaitDisconnected.pipe(Effect.andThen(Effect.fail(lostInFlight)))),
        Effect.flatMap(decodeReply)
      )
    })

  return { dispatch }
}

/** `CommandBus` over the process's `Nats` connection. */
export const NatsCommandBusLayer = (options: NatsCommandBusOptions = {}): Layer.Layer<CommandBus, never, Nats> =>
  Layer.effect(CommandBus, Nats.useSync((client) => makeNatsCommandBus(client, options)))
