import { Schema } from "effect"

/**
 * The list query string is not acceptable. `message` names the offending parameter and is safe to
 * answer verbatim as the plain-text body of a 400. Schema-tagged like the other errors so an Effect
 * route can `yield*` it or match on `_tag`.
 */
export class QueryError extends Schema.TaggedError<QueryError>()("QueryError", {
  message: Schema.String
}) {}
