import { Result } from "effect"
import { expect } from "vitest"
import type { Decider, DomainEvent, RejectionReason } from "@machhub/core"

/**
 * Given/when/then specifications for pure deciders (Emmett style):
 *   spec(decider).given([...past events]).when(command).then([...new events])
 *   spec(decider).given([...]).when(command).rejects("conflict")
 */
export const spec = <S, C, E extends DomainEvent>(decider: Decider<S, C, E>) => ({
  given: (history: ReadonlyArray<E>) => ({
    when: (command: C) => {
      let state = decider.initialState()
      for (const event of history) state = decider.evolve(state, event)
      const outcome = decider.decide(command, state)
      return {
        then: (expected: ReadonlyArray<E>) => {
          if (Result.isFailure(outcome)) throw new Error(`expected events, got rejection: ${outcome.failure.message}`)
          expect(outcome.success).toEqual(expected)
        },
        rejects: (reason: RejectionReason) => {
          if (Result.isSuccess(outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.success)}`)
          expect(outcome.failure.reason).toBe(reason)
        }
      }
    }
  })
})
