import { isSubsetOf, roleAccessPermissions, SUPERUSER_GROUP, type Membership, type Permission } from "@machhub/core"
import type { GroupsReadModel } from "@machhub/projections"
import type { Principal } from "../auth/Principal.js"

/**
 * Can `principal` give someone this membership in its active domain? Every group must exist there,
 * and nobody hands out more than they hold: the groups' and role's permissions must be covered by the
 * caller's own (a superuser may give anything; only a superuser may give `superuser`).
 */
export const membershipProblem = (
  principal: Principal,
  membership: Membership,
  groups: GroupsReadModel
): { readonly status: 403 | 422; readonly message: string } | undefined => {
  const granted: Array<Permission> = roleAccessPermissions(membership.role, membership.access)
  for (const name of membership.groups) {
    if (name === SUPERUSER_GROUP) {
      if (!principal.superuser) return { status: 403, message: "Only a superuser may grant the superuser group" }
      continue
    }
    const group = groups.find(principal.domain, name)
    if (group === undefined) return { status: 422, message: `groups: no group ${name} in domain ${principal.domain}` }
    granted.push(...group.permissions)
  }
  if (!isSubsetOf(granted, principal.permissions, principal.superuser)) {
    return { status: 403, message: "You cannot grant permissions you do not hold yourself" }
  }
  return undefined
}
