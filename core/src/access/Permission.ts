import { Schema } from "effect"

/**
 * Permission = feature + action + scope (SPEC §3). `read-write` implies `read`; scopes are ordered
 * nil < self < domain < all, and a higher scope satisfies a lower one.
 */
export const FEATURES = [
  "applications", "users", "groups", "api_keys", "collections", "flows", "historian", "processes",
  "functions", "tags", "machines", "reports", "audit", "domains", "logs"
] as const
export type BuiltInFeature = (typeof FEATURES)[number]

export const ACTIONS = ["read", "read-write"] as const
export type Action = (typeof ACTIONS)[number]

export const SCOPES = ["nil", "self", "domain", "all"] as const
export type Scope = (typeof SCOPES)[number]

export interface Permission {
  /** A built-in feature or a custom one (lower-case letters, digits, `_` and `-`). */
  readonly feature: string
  readonly action: Action
  readonly scope: Scope
}

const featurePattern = /^[a-z][a-z0-9_-]{0,63}$/
export const isFeatureName = (value: string): boolean => featurePattern.test(value)
export const isAction = (value: unknown): value is Action => value === "read" || value === "read-write"
export const isScope = (value: unknown): value is Scope => typeof value === "string" && (SCOPES as ReadonlyArray<string>).includes(value)

export const scopeRank = (scope: Scope): number => SCOPES.indexOf(scope)
const actionRank = (action: Action): number => (action === "read" ? 1 : 2)

/** Does one granted permission cover the required one? */
export const covers = (granted: Permission, required: Permission): boolean =>
  granted.feature === required.feature &&
  actionRank(granted.action) >= actionRank(required.action) &&
  scopeRank(granted.scope) >= scopeRank(required.scope)

/** Does a set of grants cover the required permission? The `superuser` group bypasses every check. */
export const isAllowed = (grants: ReadonlyArray<Permission>, required: Permission, superuser = false): boolean =>
  superuser || grants.some((granted) => covers(granted, required))

/**
 * The widest scope at which `grants` allow `action` on `feature`, or "nil" when they do not.
 * Used to decide whether a caller sees everything in the domain or only what it created.
 */
export const widestScope = (grants: ReadonlyArray<Permission>, feature: string, action: Action, superuser = false): Scope => {
  if (superuser) return "all"
  let best: Scope = "nil"
  for (const granted of grants) {
    if (granted.feature === feature && actionRank(granted.action) >= actionRank(action) && scopeRank(granted.scope) > scopeRank(best)) {
      best = granted.scope
    }
  }
  return best
}

/** Which actions grants allow on a feature at (at least) a scope: `[]`, `["read"]` or `["read", "read-write"]`. */
export const allowedActions = (grants: ReadonlyArray<Permission>, feature: string, scope: Scope, superuser = false): Array<Action> =>
  ACTIONS.filter((action) => isAllowed(grants, { feature, action, scope }, superuser))

export const permissionKey = (p: Permission): string => `${p.feature}:${p.action}:${p.scope}`

/** Removes grants implied by others, so lists stay short and comparable. */
export const normalizePermissions = (grants: ReadonlyArray<Permission>): Array<Permission> => {
  const kept: Array<Permission> = []
  for (const candidate of grants) {
    if (grants.some((other) => other !== candidate && covers(other, candidate) && !covers(candidate, other))) continue
    if (kept.some((k) => permissionKey(k) === permissionKey(candidate))) continue
    kept.push(candidate)
  }
  return kept.sort((a, b) => permissionKey(a).localeCompare(permissionKey(b)))
}

/** True when every grant in `wanted` is covered by `available` (a key never exceeds its issuer). */
export const isSubsetOf = (wanted: ReadonlyArray<Permission>, available: ReadonlyArray<Permission>, superuser = false): boolean =>
  wanted.every((permission) => isAllowed(available, permission, superuser))

/** Keeps only what both sides allow (a key's grants cut down to what its issuer holds now). */
export const intersect = (a: ReadonlyArray<Permission>, b: ReadonlyArray<Permission>, bSuperuser = false): Array<Permission> => {
  if (bSuperuser) return [...a]
  const out: Array<Permission> = []
  for (const p of a) {
    const best = widestScope(b, p.feature, p.action)
    if (best === "nil") continue
    out.push({ feature: p.feature, action: p.action, scope: scopeRank(best) < scopeRank(p.scope) ? best : p.scope })
  }
  return out
}

/** The Schemas of the above, for commands and events that carry permissions (named as in the event catalog). */
export const ActionSchema = Schema.Literals(ACTIONS).annotate({ identifier: "Action" })
export const ScopeSchema = Schema.Literals(SCOPES).annotate({ identifier: "Scope" })
export const PermissionSchema = Schema.Struct({
  feature: Schema.String.annotate({ description: "A built-in feature or a custom one (lower-case letters, digits, `_` and `-`)." }),
  action: ActionSchema,
  scope: ScopeSchema
}).annotate({ identifier: "Permission" })
