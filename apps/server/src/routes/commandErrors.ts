import { text, type HttpResponse } from "@machhub/adapters"
import type { CommandError, RejectionReason } from "@machhub/core"

const statusOf: Record<RejectionReason, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  unprocessable: 422,
  too_many_requests: 429
}

/** The HTTP answer for a command that did not go through. */
export const commandErrorResponse = (error: CommandError): HttpResponse => {
  switch (error._tag) {
    case "CommandRejected":
      return text(statusOf[error.reason], error.message)
    case "CommandUnavailable":
      // Only for commands surely not applied: retrying is safe with or without an Idempotency-Key.
      return text(503, `Service temporarily unavailable: ${error.message}. Nothing was changed. Retry shortly.`, { "Retry-After": "1" })
    case "CommandOutcomeUnknown":
      return text(504, `No answer came for this change (${error.message}); it may have been applied. ` +
        "Retry it with the same Idempotency-Key header to have it applied at most once and get its outcome; " +
        "without one, check whether it took effect before retrying.")
    case "CommandFailed":
      return text(500, error.message)
  }
}
