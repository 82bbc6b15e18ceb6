import { Schema } from "effect"
import {
  expandKeyScopes,
  isAction,
  isAllowed,
  isFeatureName,
  isKeyScope,
  isScope,
  KEY_SCOPES,
  permissionKey,
  type Permission
} from "@machhub/core"
import type { Principal } from "../auth/Principal.js"

/** What is wrong with a key request, as the HTTP status and plain-text message to answer. */
export interface Problem {
  readonly status: 400 | 403 | 422
  readonly message: string
}

export const isProblem = (value: unknown): value is Problem =>
  typeof value === "object" && value !== null && "status" in value && "message" in value

/** A permission as API-key requests send it (MACHHUB's `features`). */
export const FeatureBody = Schema.Struct({ name: Schema.String, action: Schema.String, scope: Schema.String })
export const FeatureList = Schema.Array(FeatureBody).check(Schema.isMaxLength(200))
export const ScopeList = Schema.Array(Schema.String.check(Schema.isMaxLength(64))).check(Schema.isMaxLength(50))
export const KeyName = Schema.String.check(Schema.isMaxLength(200))
export const KeyDescription = Schema.String.check(Schema.isMaxLength(2000))

export const checkName = (name: string): string | Problem => {
  const trimmed = name.trim()
  return trimmed === "" ? { status: 422, message: "name must not be empty" } : trimmed
}

export const toPermissions = (features: ReadonlyArray<{ name: string; action: string; scope: string }>): Array<Permission> | Problem => {
  const out: Array<Permission> = []
  for (const [i, raw] of features.entries()) {
    const at = `features[${i}]`
    if (!isFeatureName(raw.name)) return { status: 422, message: `${at}.name must be lower-case letters, digits, _ or - (e.g. collections)` }
    if (!isAction(raw.action)) return { status: 422, message: `${at}.action must be read or read-write` }
    if (!isScope(raw.scope)) return { status: 422, message: `${at}.scope must be one of nil, self, domain, all` }
    out.push({ feature: raw.name, action: raw.action, scope: raw.scope })
  }
  return out
}

export const checkScopes = (scopes: ReadonlyArray<string>): Array<string> | Problem => {
  for (const [i, scope] of scopes.entries()) {
    if (!isKeyScope(scope)) {
      return { status: 422, message: `scopes[${i}]: unknown key scope ${JSON.stringify(scope)} (known: ${Object.keys(KEY_SCOPES).join(", ")})` }
    }
  }
  return [...new Set(scopes)]
}

/** Unix seconds beyond this are surely milliseconds (year 5138): refused rather than a key that never expires. */
const LATEST_SECONDS = 100_000_000_000

/** `expiration` as unix seconds; absent, null or 0 means the key never expires. */
export const checkExpiration = (expiration: number | null | undefined, nowSeconds: number): number | Problem => {
  if (expiration === undefined || expiration === null || expiration === 0) return 0
  if (!Number.isSafeInteger(expiration) || expiration < 0) {
    return { status: 422, message: "expiration must be unix seconds (a whole number), or 0 for a key that never expires" }
  }
  if (expiration >= LATEST_SECONDS) return { status: 422, message: "expiration must be unix seconds, not milliseconds" }
  if (expiration <= nowSeconds) {
    return { status: 422, message: `expiration ${expiration} (${new Date(expiration * 1000).toISOString()}) is in the past` }
  }
  return expiration
}

/**
 * A key holds at most what the caller holds (SPEC §4); a superuser of the domain may grant anything.
 * Names the first permission (or key scope) the caller cannot grant.
 */
export const grantProblem = (principal: Principal, permissions: ReadonlyArray<Permission>, scopes: ReadonlyArray<string>): Problem | undefined => {
  if (principal.superuser) return undefined
  const domain = principal.domain
  for (const p of permissions) {
    if (!isAllowed(principal.permissions, p)) {
      return { status: 403, message: `You cannot grant ${permissionKey(p)}: you do not hold it in domain ${domain}` }
    }
  }
  for (const scope of scopes) {
    const missing = expandKeyScopes([scope]).find((p) => !isAllowed(principal.permissions, p))
    if (missing !== undefined) {
      return { status: 403, message: `You cannot grant key scope ${scope}: it includes ${permissionKey(missing)}, which you do not hold in domain ${domain}` }
    }
  }
  return undefined
}
