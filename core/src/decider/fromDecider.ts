import { Effect, Result } from "effect"
import type { Command } from "../commands/Command.js"
import { CommandRejected } from "../commands/errors.js"
import type { Aggregate, Decision } from "./Aggregate.js"
import type { Decider, DomainEvent } from "./Decider.js"

/**
 * Builds an actor-ready aggregate from a pure decider. `toCommand` narrows the transport command into
 * the decider's own command type (rejecting unknown types); `reply` shapes the caller's answer from
 * the state after the events.
 */
export const fromDecider = <S, C, E extends DomainEvent>(options: {
  readonly category: string
  readonly decider: Decider<S, C, E>
  readonly toCommand: (command: Command) => C | undefined
  readonly reply?: (state: S, events: ReadonlyArray<E>, command: C) => unknown
}): Aggregate<S, E> => ({
  category: options.category,
  initialState: options.decider.initialState,
  evolve: options.decider.evolve,
  handle: (command, state) =>
    Effect.suspend(() => {
      const decided = options.toCommand(command)
      if (decided === undefined) {
        return Effect.fail(
          new CommandRejected({ reason: "invalid", message: `unknown command ${command.type} for ${options.category}` })
        )
      }
      const outcome = options.decider.decide(decided, state)
      if (Result.isFailure(outcome)) return Effect.fail(outcome.failure)
      const events = outcome.success
      if (options.reply === undefined) return Effect.succeed<Decision<E>>({ events })
      let after = state
      for (const event of events) after = options.decider.evolve(after, event)
      return Effect.succeed<Decision<E>>({ events, result: options.reply(after, events, decided) })
    }),
  replyFor: (command, state, events) => {
    if (options.reply === undefined) return undefined
    const decided = options.toCommand(command)
    return decided === undefined ? undefined : options.reply(state, events, decided)
  }
})
