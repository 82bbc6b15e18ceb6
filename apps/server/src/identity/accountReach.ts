import { ADMIN_DOMAIN, isAllowed, SUPERUSER_GROUP, type Permission } from "@machhub/core"
import type { GroupsReadModel, UserRow, UsersReadModel } from "@machhub/projections"
import { grantsOf, isGlobalSuperuser } from "../auth/grantsOf.js"
import type { Principal } from "../auth/Principal.js"
import { missingPermission } from "../api/refusals.js"

/**
 * What an action on someone else's account reaches, and so where the caller must be allowed to do it.
 *
 * - `account`: the account itself. One account logs in to every domain it belongs to, so changing its
 *   password, disabling or enabling it, or ending one of its sessions (whose tokens act in all of the
 *   user's domains) changes what happens in each of those domains. The caller needs the permission in
 *   every one of them. Otherwise an administrator of domain A could reset the password of a member A
 *   shares with domain B and log in to B as them.
 * - `membership`: the user's standing in one domain (groups, role, access, leaving the domain).
 *   Nothing outside that domain changes, so the permission there is enough.
 *
 * An API key is not an account action: a key acts only in the domain it was issued in, so managing
 * another user's key needs `api_keys` in that domain (see routes/apiKeys.ts), and an administrator
 * can always stop an abused key acting in their own domain.
 */
export const ACCOUNT_ACTIONS = {
  changePassword: "account",
  disable: "account",
  enable: "account",
  endSession: "account",
  setMembership: "membership",
  removeMembership: "membership"
} as const satisfies Record<string, "account" | "membership">

export type AccountAction = keyof typeof ACCOUNT_ACTIONS

/** What every user-management action requires (SPEC §5). */
export const USERS_ADMIN: Permission = { feature: "users", action: "read-write", scope: "domain" }

/** The domains whose grants decide `action` on `target`; `domain` is the one a membership action changes. */
export const domainsReached = (action: AccountAction, target: UserRow, domain: string): ReadonlyArray<string> =>
  ACCOUNT_ACTIONS[action] === "account" ? target.memberships.map((m) => m.domain) : [domain]

interface CallerGrants {
  readonly permissions: ReadonlyArray<Permission>
  readonly superuser: boolean
}

const NONE: CallerGrants = { permissions: [], superuser: false }

/**
 * The caller's grants in any domain: the principal's own for the active domain (already worked out,
 * and for a key already cut down to its issuer's), the read models' for the others. A key acts in its
 * own domain only, so it holds nothing elsewhere.
 */
const grantsOfCaller = (deps: AccountReachDeps, principal: Principal) => {
  let caller: UserRow | undefined | null = null
  return (domain: string): CallerGrants => {
    if (domain === principal.domain) return { permissions: principal.permissions, superuser: principal.superuser }
    if (principal.kind !== "user") return NONE
    if (caller === null) caller = deps.users.findById(principal.userId)
    return caller === undefined ? NONE : grantsOf(caller, domain, deps.groups)
  }
}

export interface AccountReachDeps {
  readonly users: UsersReadModel
  readonly groups: GroupsReadModel
}

/**
 * Why `principal` may not do `action` to `target`'s account (a plain-text 403 message), or undefined
 * when it may. `domain` is the domain a membership action changes (the active one unless the route
 * names another). The rule, stated once for every account route:
 *
 * 1. Only a superuser of machhub_admin changes a superuser of machhub_admin.
 * 2. For an account action, holding `requirement` at scope `all` in machhub_admin is enough (a
 *    platform administrator). Scope `all` counts only there: a tenant's superuser can write any grant
 *    into its own domain's groups, so `all` granted inside a tenant proves nothing about other tenants.
 * 3. Otherwise the caller holds `requirement` in every domain the action reaches (see ACCOUNT_ACTIONS),
 *    and an account action on a superuser of a domain needs a superuser of that domain (a users
 *    administrator does not take over an account that holds more than they do).
 */
export const accountActionRefusal = (
  deps: AccountReachDeps,
  principal: Principal,
  target: UserRow,
  action: AccountAction,
  domain: string = principal.domain,
  requirement: Permission = USERS_ADMIN
): string | undefined => {
  if (isGlobalSuperuser(target) && !principal.globalSuperuser) return `Only a superuser of ${ADMIN_DOMAIN} may change a superuser`
  const grantsIn = grantsOfCaller(deps, principal)
  const accountWide = ACCOUNT_ACTIONS[action] === "account"
  if (accountWide && isAllowed(grantsIn(ADMIN_DOMAIN).permissions, { ...requirement, scope: "all" })) return undefined
  for (const reached of domainsReached(action, target, domain)) {
    const grants = grantsIn(reached)
    if (!isAllowed(grants.permissions, requirement, grants.superuser)) {
      const why = accountWide && reached !== principal.domain
        ? `: ${target.username} is also a member of domain ${reached}, and this action reaches every domain the account belongs to`
        : ""
      const keyNote = principal.kind === "key" && reached !== principal.domain ? " (an API key acts only in its own domain)" : ""
      return missingPermission(requirement, reached, `${why}${keyNote}`).message
    }
    if (accountWide && !grants.superuser && target.memberships.some((m) => m.domain === reached && m.groups.includes(SUPERUSER_GROUP))) {
      return `Only a superuser of domain ${reached} may change the account of ${target.username}, a superuser there`
    }
  }
  return undefined
}
