import { Effect, Result } from "effect"
import type { Command } from "../commands/Command.js"
import { CommandRejected } from "../commands/errors.js"
import type { Aggregate, Decision } from "./Aggregate.js"
import type { Decider, DomainEvent } from "./Decider.js"
import { makeCommandDecoder, makeEventDecoder, type AnyCommandSchema, type AnyEventSchema, type RepliesByType, type UndeclaredCommand, type Upcast } from "./Schemas.js"

/** An aggregate whose commands and events are Schemas (see Schemas.ts). */
/** A reply function of one command type. */
export type ReplyFunction<S, E, C> = (state: S, events: ReadonlyArray<E>, command: C) => unknown

export interface SchemaDeciderOptions<S, C, E extends DomainEvent, K extends ReadonlyArray<AnyCommandSchema>, X extends object, Reply, M extends object = {}> {
  readonly category: string
  readonly decider: Decider<S, C, E>
  /** Every command the aggregate accepts; a payload is decoded by the Schema its type names. */
  readonly commands: K
  /** Every event the aggregate records; stored events are decoded by them before `evolve`. */
  readonly events: ReadonlyArray<AnyEventSchema & { readonly Type: E }>
  /**
   * Command fields the envelope fills in (e.g. the id the stream names, so a payload cannot point
   * elsewhere): they override the payload's before decoding, and callers never send them.
   */
  readonly fromEnvelope?: (command: Command) => X
  /**
   * The decider's command from the decoded one (e.g. a field bounded, or one the envelope says added).
   * Absent: the decoded command is the decider's (its Schemas describe the decider's commands).
   */
  readonly toCommand?: (decoded: K[number]["Type"], command: Command) => C
  readonly reply?: (state: S, events: ReadonlyArray<E>, command: C) => Reply
  /**
   * Replies of the commands that answer something else than `reply`, by command type: callers of
   * those commands get their own reply type (see RepliesByType).
   */
  readonly replies?: M & { readonly [T in keyof M]: ReplyFunction<S, E, C> }
  /** Turns an old version of a stored event into the current one before it is decoded. */
  readonly upcast?: Upcast
}

/** What callers send for command `C` when the envelope fills in the fields of `X`. */
export type SentCommand<W extends { readonly type: string }, X> = W extends unknown ? Omit<W, Exclude<keyof X, "type">> & { readonly type: W["type"] } : never

/** An aggregate that narrows transport commands itself (`undefined`: an unknown type). */
export interface LegacyDeciderOptions<S, C, E extends DomainEvent, Reply> {
  readonly category: string
  readonly decider: Decider<S, C, E>
  readonly toCommand: (command: Command) => C | undefined
  readonly reply?: (state: S, events: ReadonlyArray<E>, command: C) => Reply
}

/**
 * Builds an actor-ready aggregate from a pure decider. With `commands` and `events` (the convention,
 * see Schemas.ts) payloads and stored events are decoded by their Schemas; otherwise `toCommand`
 * narrows the transport command into the decider's own command type (rejecting unknown types).
 * `reply` shapes the caller's answer from the state after the events.
 */
export function fromDecider<S, C, E extends DomainEvent, const K extends ReadonlyArray<AnyCommandSchema>, X extends object = {}, Reply = unknown, M extends object = {}>(
  options: SchemaDeciderOptions<S, C, E, K, X, Reply, M>
): Aggregate<S, E, never, SentCommand<K[number]["Type"], X>, RepliesByType<Reply, { readonly [T in keyof M]: M[T] extends (...args: any) => infer R ? R : never }>>
export function fromDecider<S, C, E extends DomainEvent, Reply = unknown>(
  options: LegacyDeciderOptions<S, C, E, Reply>
): Aggregate<S, E, never, UndeclaredCommand<C extends { readonly type: infer T extends string } ? T : string>, Reply>
export function fromDecider<S, C, E extends DomainEvent>(
  options: SchemaDeciderOptions<S, C, E, ReadonlyArray<AnyCommandSchema>, object, unknown, Record<string, ReplyFunction<S, E, C>>> | LegacyDeciderOptions<S, C, E, unknown>
): Aggregate<S, E> {
  const { category, decider } = options
  const byType = "replies" in options ? options.replies : undefined
  const replyOf = (command: C): ReplyFunction<S, E, C> | undefined =>
    byType?.[(command as { readonly type: string }).type] ?? options.reply
  let toCommand: (command: Command) => Result.Result<C, CommandRejected>
  let schemas: Pick<Aggregate<S, E>, "commands" | "events" | "decodeEvent"> = {}
  if ("commands" in options) {
    const decode = makeCommandDecoder<{ readonly type: string }>(category, options.commands, options.fromEnvelope)
    const narrow = options.toCommand
    toCommand = narrow === undefined
      ? (command) => decode(command) as Result.Result<C, CommandRejected>
      : (command) => Result.map(decode(command), (decoded) => narrow(decoded, command))
    schemas = { commands: options.commands, events: options.events, decodeEvent: makeEventDecoder<E>(options.events, options.upcast) }
  } else {
    const narrow = options.toCommand
    toCommand = (command) => {
      const decided = narrow(command)
      return decided === undefined
        ? Result.fail(new CommandRejected({ reason: "invalid", message: `unknown command ${command.type} for ${category}` }))
        : Result.succeed(decided)
    }
  }
  return {
    category,
    initialState: decider.initialState,
    evolve: decider.evolve,
    handle: (command, state) =>
      Effect.suspend(() => {
        const decided = toCommand(command)
        if (Result.isFailure(decided)) return Effect.fail(decided.failure)
        const outcome = decider.decide(decided.success, state)
        if (Result.isFailure(outcome)) return Effect.fail(outcome.failure)
        const events = outcome.success
        const reply = replyOf(decided.success)
        if (reply === undefined) return Effect.succeed<Decision<E>>({ events })
        let after = state
        for (const event of events) after = decider.evolve(after, event)
        return Effect.succeed<Decision<E>>({ events, result: reply(after, events, decided.success) })
      }),
    replyFor: (command, state, events) => {
      const decided = toCommand(command)
      if (Result.isFailure(decided)) return undefined
      return replyOf(decided.success)?.(state, events, decided.success)
    },
    ...schemas
  }
}
