import { Effect, Result } from "effect"
import { CommandRejected, fromDecider, uuidv7, type Aggregate, type Command, type Decider, type DomainEvent } from "@machhub/core"

/** A minimal aggregate for exercising the actor system: a counter that records every increment. */
export type Incremented = DomainEvent<"Incremented", { readonly by: number; readonly seq: number }>
export interface CounterState {
  readonly total: number
  readonly seqs: ReadonlyArray<number>
}
interface Increment {
  readonly type: "increment"
  readonly by: number
  readonly seq: number
}

export const counterDecider: Decider<CounterState, Increment, Incremented> = {
  initialState: () => ({ total: 0, seqs: [] }),
  evolve: (state, event) => ({ total: state.total + event.data.by, seqs: [...state.seqs, event.data.seq] }),
  decide: (command) =>
    command.by <= 0
      ? Result.fail(new CommandRejected({ reason: "invalid", message: "increment must be positive" }))
      : Result.succeed([{ type: "Incremented", data: { by: command.by, seq: command.seq } }])
}

export const counterAggregate: Aggregate<CounterState, Incremented> = fromDecider({
  category: "counter",
  decider: counterDecider,
  toCommand: (command: Command): Increment | undefined =>
    command.type === "increment" ? { type: "increment", ...(command.payload as { by: number; seq: number }) } : undefined,
  reply: (state) => state.total
})

/** Same aggregate, but its handler dies on `by === 13`, to show a defect does not kill the actor. */
export const flakyCounterAggregate: Aggregate<CounterState, Incremented> = {
  ...counterAggregate,
  handle: (command, state) => (command.payload as { by: number }).by === 13 ? Effect.die(new Error("unlucky")) : counterAggregate.handle(command, state)
}

export const increment = (aggregateId: string, by: number, seq = 0, extra: Partial<Command> = {}): Command => ({
  id: uuidv7(),
  type: "increment",
  category: "counter",
  domain: "acme",
  aggregateId,
  actor: { kind: "system", id: "test" },
  payload: { by, seq },
  correlationId: uuidv7(),
  ...extra
})
