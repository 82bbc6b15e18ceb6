import { Schema } from "effect"

/** Shapes shared by several areas' declarations (documentation of answers). */

export const PermissionView = Schema.Struct({ feature: Schema.String, action: Schema.String, scope: Schema.String })

export const Success = Schema.Struct({ success: Schema.Literal(true) })

/** A user as answered by the users routes (identity/userView.ts). */
export const UserView = Schema.Struct({
  id: Schema.String,
  username: Schema.String,
  // The profile given at creation (POST /auth/user, POST /api/users); absent fields were not given.
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  email: Schema.optional(Schema.String),
  number: Schema.optional(Schema.String),
  userImage: Schema.optional(Schema.String),
  domain: Schema.String,
  groups: Schema.Array(Schema.String),
  role: Schema.optional(Schema.Literals(["admin", "user"])),
  access: Schema.optional(Schema.Array(Schema.Literals(["read", "write"]))),
  domains: Schema.Array(Schema.String),
  disabled: Schema.Boolean,
  createdAt: Schema.String,
  updatedAt: Schema.String,
  version: Schema.Number
}).annotate({ identifier: "User", description: "A user as seen from the active domain; never the password hash" })

/** Any JSON value, for answers described in words. */
export const Json = Schema.Unknown

/** `?asOf=<log position | ISO time>` on reads that can answer the past (SPEC §10). */
export const AsOfQuery = Schema.Struct({
  asOf: Schema.optional(Schema.String.annotate({ description: "A log position (integer) or an ISO 8601 instant: the state as of then" }))
})
