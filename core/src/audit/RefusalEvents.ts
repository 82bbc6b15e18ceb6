import type { RejectionReason } from "../commands/errors.js"
import type { DomainEvent } from "../decider/Decider.js"

/**
 * Refused commands (SPEC §10: every command, accepted or refused by a rule, leaves events). Each refusal
 * is its own stream `refusal-<domain>-<commandId>`, written once by the node that dispatched the command,
 * so recording it never contends with the refused aggregate's stream. The event's meta carries the
 * command's actor, correlation id and command id.
 */
export const REFUSAL_CATEGORY = "refusal"

export type CommandRefused = DomainEvent<"CommandRefused", {
  readonly commandId: string
  readonly commandType: string
  /** The stream the command was addressed to. */
  readonly target: string
  readonly reason: RejectionReason
  /** The rule's message as the caller saw it; commands never echo their payload in it. */
  readonly message: string
  /** The caller's network address when the command came from an HTTP request, else null. */
  readonly address: string | null
  /**
   * Earlier refusals of the same actor and address that were only counted, not recorded one by one,
   * because they came faster than the flood guard allows (0 normally).
   */
  readonly unrecorded: number
}>

export type RefusalEvent = CommandRefused
