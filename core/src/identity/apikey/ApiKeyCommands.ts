import type { Permission } from "../../access/Permission.js"
import type { KeyIssuance } from "./ApiKeyEvents.js"

/**
 * Commands on one API key. The secret is generated and hashed at the edge, so only its hash travels
 * on the bus. `onlyIssuedBy` (management commands) limits a caller holding `api_keys` at scope `self`
 * to keys it issued; checking it in the decider keeps the rule atomic with the change.
 */
export interface IssueKey extends KeyIssuance {
  readonly type: "issueKey"
}

/** Absent fields keep their current value. */
export interface UpdateKey {
  readonly type: "updateKey"
  readonly name?: string
  readonly description?: string
  readonly permissions?: ReadonlyArray<Permission>
  readonly scopes?: ReadonlyArray<string>
  readonly onlyIssuedBy?: string
}

export interface RevokeKey {
  readonly type: "revokeKey"
  readonly onlyIssuedBy?: string
}

export interface SuspendKey {
  readonly type: "suspendKey"
  readonly reason?: string
  readonly onlyIssuedBy?: string
}

export interface ResumeKey {
  readonly type: "resumeKey"
  readonly onlyIssuedBy?: string
}

export type ApiKeyCommand = IssueKey | UpdateKey | RevokeKey | SuspendKey | ResumeKey
