import { Schema } from "effect"

/**
 * A business rule refused the command. `reason` maps onto an HTTP status at the edge; these errors
 * cross process boundaries over NATS, hence Schema-tagged.
 */
export const RejectionReason = Schema.Literals([
  "invalid", // 400/422: the payload breaks a rule
  "unauthorized", // 401
  "forbidden", // 403
  "not_found", // 404
  "conflict", // 409
  "precondition_failed", // 412: If-Match did not match
  "unprocessable", // 422
  "too_many_requests" // 429
]).annotate({
  identifier: "RejectionReason",
  description: "A business rule refused the command. `reason` maps onto an HTTP status at the edge; these errors cross process boundaries over NATS, hence Schema-tagged."
})
export type RejectionReason = typeof RejectionReason.Type

export class CommandRejected extends Schema.TaggedError<CommandRejected>()("CommandRejected", {
  reason: RejectionReason,
  message: Schema.String
}) {}

/**
 * The command was surely not applied: it could not be delivered or handled right now (bus or store
 * down before anything was sent, nobody serving it, an overloaded mailbox); callers answer 503.
 */
export class CommandUnavailable extends Schema.TaggedError<CommandUnavailable>()("CommandUnavailable", {
  message: Schema.String
}) {}

/**
 * Whether the command was applied is not known: it was sent (or its events were handed to the store)
 * and then the connection was lost or the answer timed out. Callers answer 504 and say it may have
 * been applied; a retry carrying the same idempotency key is answered with the first outcome.
 */
export class CommandOutcomeUnknown extends Schema.TaggedError<CommandOutcomeUnknown>()("CommandOutcomeUnknown", {
  message: Schema.String
}) {}

/** The command was delivered but its handling failed unexpectedly; the message is safe to show. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  message: Schema.String
}) {}

export type CommandError = CommandRejected | CommandUnavailable | CommandOutcomeUnknown | CommandFailed
