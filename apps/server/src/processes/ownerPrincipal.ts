import type { DefinitionOwner } from "@machhub/core"
import type { GroupsReadModel, UsersReadModel } from "@machhub/projections"
import { grantsOf } from "../auth/grantsOf.js"
import type { Principal } from "../auth/Principal.js"

/**
 * The owner of a process or function as a principal of the domain, with the grants the read models
 * hold now (a permission taken from the owner is gone for the next run). Undefined when the owner no
 * longer exists, is disabled or is no longer a member of the domain: the code then may reach nothing.
 */
export const ownerPrincipal = (
  source: { readonly users: UsersReadModel; readonly groups: GroupsReadModel },
  domain: string,
  owner: DefinitionOwner
): Principal | undefined => {
  const user = source.users.findById(owner.userId)
  if (user === undefined || user.disabled) return undefined
  const grants = grantsOf(user, domain, source.groups)
  if (!grants.member) return undefined
  return {
    kind: "user",
    id: user.userId,
    userId: user.userId,
    username: user.username,
    domain,
    groups: grants.groups,
    permissions: grants.permissions,
    superuser: grants.superuser,
    globalSuperuser: grants.globalSuperuser,
    sessionId: undefined
  }
}
