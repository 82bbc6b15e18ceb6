import { ADMIN_DOMAIN, roleAccessPermissions, SUPERUSER_GROUP, type Membership, type Permission } from "@machhub/core"
import type { GroupsReadModel, UserRow } from "@machhub/projections"

export interface Grants {
  readonly member: boolean
  readonly groups: ReadonlyArray<string>
  readonly permissions: ReadonlyArray<Permission>
  readonly superuser: boolean
  readonly globalSuperuser: boolean
}

/**
 * A user's effective grants in one domain, read from the current read models (not from the token),
 * so that a changed membership or group takes effect on the very next request. A superuser of the
 * admin domain is a superuser everywhere; elsewhere `superuser` reaches its own domain only.
 */
/** A member of group superuser in the admin domain: may act in every domain. */
export const isGlobalSuperuser = (user: UserRow): boolean =>
  user.memberships.some((m) => m.domain === ADMIN_DOMAIN && m.groups.includes(SUPERUSER_GROUP))

export const grantsOf = (user: UserRow, domain: string, groups: GroupsReadModel): Grants => {
  const globalSuperuser = isGlobalSuperuser(user)
  const membership: Membership | undefined = user.memberships.find((m) => m.domain === domain)
  if (membership === undefined) return { member: globalSuperuser, groups: [], permissions: [], superuser: globalSuperuser, globalSuperuser }
  const permissions: Array<Permission> = roleAccessPermissions(membership.role, membership.access)
  for (const name of membership.groups) {
    const group = groups.find(domain, name)
    if (group !== undefined) permissions.push(...group.permissions)
  }
  return {
    member: true,
    groups: membership.groups,
    permissions,
    superuser: globalSuperuser || membership.groups.includes(SUPERUSER_GROUP),
    globalSuperuser
  }
}
