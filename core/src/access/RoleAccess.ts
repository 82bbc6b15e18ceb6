import { Schema } from "effect"
import type { Action, Permission, Scope } from "./Permission.js"

/**
 * Machinable's role/access (SPEC §3): role admin = scope domain, role user = scope self; access read =
 * action read, access write = read-write. Machinable roles govern project data, so they map onto the
 * data-plane features.
 */
export type Role = "admin" | "user"
export type Access = "read" | "write"

export const RoleSchema = Schema.Literals(["admin", "user"]).annotate({
  identifier: "Role",
  description:
    "Machinable's role/access (SPEC §3): role admin = scope domain, role user = scope self; access read = action read, access write = read-write. Machinable roles govern project data, so they map onto the data-plane features."
})
export const AccessSchema = Schema.Literals(["read", "write"]).annotate({ identifier: "Access" })

export const DATA_PLANE_FEATURES = ["collections", "tags", "historian", "processes", "functions", "flows"] as const

export const roleAccessPermissions = (role: Role | undefined, access: ReadonlyArray<Access> | undefined): Array<Permission> => {
  if (role === undefined || access === undefined || access.length === 0) return []
  const scope: Scope = role === "admin" ? "domain" : "self"
  const action: Action = access.includes("write") ? "read-write" : "read"
  return DATA_PLANE_FEATURES.map((feature) => ({ feature, action, scope }))
}

export const isRole = (value: unknown): value is Role => value === "admin" || value === "user"
export const isAccess = (value: unknown): value is Access => value === "read" || value === "write"
