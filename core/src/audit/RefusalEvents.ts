import { Schema } from "effect"
import { RejectionReason } from "../commands/errors.js"
import { EventSchema } from "../decider/Schemas.js"

/**
 * Refused commands (SPEC §10: every command, accepted or refused by a rule, leaves events). Each refusal
 * is its own stream `refusal-<domain>-<commandId>`, written once by the node that dispatched the command,
 * so recording it never contends with the refused aggregate's stream. The event's meta carries the
 * command's actor, correlation id and command id.
 */
export const REFUSAL_CATEGORY = "refusal"

export const CommandRefused = EventSchema("CommandRefused", {
  commandId: Schema.String,
  commandType: Schema.String,
  target: Schema.String.annotate({ description: "The stream the command was addressed to." }),
  reason: RejectionReason,
  message: Schema.String.annotate({ description: "The rule's message as the caller saw it; commands never echo their payload in it." }),
  address: Schema.NullOr(Schema.String).annotate({
    description: "The caller's network address when the command came from an HTTP request, else null."
  }),
  unrecorded: Schema.Number.annotate({
    description:
      "Earlier refusals of the same actor and address that were only counted, not recorded one by one, because they came faster than the flood guard allows (0 normally)."
  })
})
export type CommandRefused = typeof CommandRefused.Type

export type RefusalEvent = CommandRefused
