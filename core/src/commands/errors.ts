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
])
export type RejectionReason = typeof RejectionReason.Type

export class CommandRejected extends Schema.TaggedError<CommandRejected>()("CommandRejected", {
  reason: RejectionReason,
  message: Schema.String
}) {}

/** The command could not be delivered or handled right now (bus or store down); callers answer 503. */
export class CommandUnavailable extends Schema.TaggedError<CommandUnavailable>()("CommandUnavailable", {
  message: Schema.String
}) {}

/** The command was delivered but its handling failed unexpectedly; the message is safe to show. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  message: Schema.String
}) {}

export type CommandError = CommandRejected | CommandUnavailable | CommandFailed
