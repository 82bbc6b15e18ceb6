import { Schema } from "effect"
import { PermissionSchema } from "../../access/Permission.js"
import { CommandSchema } from "../../decider/Schemas.js"
import { KeyIssuanceFields } from "./ApiKeyEvents.js"

/**
 * Commands on one API key. The secret is generated and hashed at the edge, so only its hash travels
 * on the bus. `onlyIssuedBy` (management commands) limits a caller holding `api_keys` at scope `self`
 * to keys it issued; checking it in the decider keeps the rule atomic with the change. The key id is
 * the aggregate id (filled in from the envelope).
 */
export const IssueKey = CommandSchema("issueKey", KeyIssuanceFields)
export type IssueKey = typeof IssueKey.Type

const onlyIssuedBy = Schema.optional(Schema.String)

/** Absent fields keep their current value. */
export const UpdateKey = CommandSchema("updateKey", {
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  permissions: Schema.optional(Schema.Array(PermissionSchema)),
  scopes: Schema.optional(Schema.Array(Schema.String)),
  onlyIssuedBy
})
export type UpdateKey = typeof UpdateKey.Type

export const RevokeKey = CommandSchema("revokeKey", { onlyIssuedBy })
export type RevokeKey = typeof RevokeKey.Type

export const SuspendKey = CommandSchema("suspendKey", { reason: Schema.optional(Schema.String), onlyIssuedBy })
export type SuspendKey = typeof SuspendKey.Type

export const ResumeKey = CommandSchema("resumeKey", { onlyIssuedBy })
export type ResumeKey = typeof ResumeKey.Type

export const API_KEY_COMMANDS = [IssueKey, UpdateKey, RevokeKey, SuspendKey, ResumeKey] as const

export type ApiKeyCommand = (typeof API_KEY_COMMANDS)[number]["Type"]
