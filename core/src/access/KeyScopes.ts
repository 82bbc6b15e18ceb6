import type { Permission } from "./Permission.js"

/**
 * MachineMetrics-style key scopes (SPEC §3): a scope is a named bundle of permissions. Unknown scope
 * names are refused where they are given.
 */
export const KEY_SCOPES: Readonly<Record<string, ReadonlyArray<Permission>>> = {
  reporting: [
    { feature: "reports", action: "read", scope: "domain" },
    { feature: "machines", action: "read", scope: "domain" }
  ],
  "machines:write": [{ feature: "machines", action: "read-write", scope: "domain" }],
  "collections:read": [{ feature: "collections", action: "read", scope: "domain" }],
  "collections:write": [{ feature: "collections", action: "read-write", scope: "domain" }],
  audit: [{ feature: "audit", action: "read", scope: "domain" }]
}

export const isKeyScope = (name: string): boolean => Object.hasOwn(KEY_SCOPES, name)

export const expandKeyScopes = (names: ReadonlyArray<string>): Array<Permission> => names.flatMap((name) => KEY_SCOPES[name] ?? [])
