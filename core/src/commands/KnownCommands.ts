import type { Aggregate } from "../decider/Aggregate.js"
import type { Effect } from "effect"
import type { Command, CommandReply } from "./Command.js"
import type { CommandBusService } from "./CommandBus.js"
import type { CommandError } from "./errors.js"
import type { CommandInputOf } from "../decider/Schemas.js"
import type { coreAggregates } from "../aggregates.js"

/** Every aggregate core declares: their commands are what the edge may send. */
type CoreAggregate = (typeof coreAggregates)[number]

/** The commands and answer of one aggregate, as `{ type, payload, "~reply" }` (type-level only). */
export type CommandInputsOf<A> = A extends Aggregate<any, any, any, infer C, infer Reply> ? CommandInputOf<C, Reply> : never

/**
 * Every command a caller may send, `{ type, payload }`, as its aggregate declares it: a misspelt type
 * or a payload of the wrong shape does not compile. Aggregates whose commands are not Schemas yet
 * contribute their types with an unchecked payload.
 */
export type KnownCommand = CommandInputsOf<CoreAggregate>

/** The types of every known command. */
export type KnownCommandType = KnownCommand["type"]

/** What a command of type `T` answers (`CommandReply.result`). */
export type ReplyOf<T extends KnownCommandType> = Extract<KnownCommand, { readonly type: T }> extends { readonly "~reply"?: infer R } ? R : never

/** The known command of type `T`, `{ type: T, payload }`. */
export type CommandOfType<T extends KnownCommandType> = Extract<KnownCommand, { readonly type: T }>

/** The payload a command of type `T` carries. */
export type PayloadOf<T extends KnownCommandType> = CommandOfType<T>["payload"]

/**
 * `{ type, payload }` for a helper that sends one of several command types: its callers are checked
 * (`payload` must fit `type`).
 */
export const commandOf = <T extends KnownCommandType>(type: T, payload: PayloadOf<T>): { readonly type: T; readonly payload: PayloadOf<T> } => ({
  type,
  payload
})

/**
 * A transport command of a known type, for code that dispatches on the bus directly rather than
 * through the edge's `runCommand`: its type must be declared and its payload must fit it.
 */
export const knownCommand = <T extends KnownCommandType>(
  command: Omit<Command, "type" | "payload"> & { readonly type: T; readonly payload: PayloadOf<T> }
): Command => command

/**
 * Dispatches a known command on a bus directly (see `knownCommand`). The aggregate that declares the
 * command answers it, so the reply's `result` has that command's reply type: this is where the bus's
 * untyped reply is given it.
 */
export const dispatchKnown = <T extends KnownCommandType>(
  bus: CommandBusService,
  command: Omit<Command, "type" | "payload"> & { readonly type: T; readonly payload: PayloadOf<T> }
): Effect.Effect<CommandReply<ReplyOf<T>>, CommandError> =>
  bus.dispatch(command) as Effect.Effect<CommandReply<ReplyOf<T>>, CommandError>
