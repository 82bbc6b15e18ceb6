import type { UserRow } from "@machhub/projections"

/**
 * A user as every user read shows it (management routes, the SDK's /auth routes, the caller itself),
 * seen from one domain; never the password hash. Profile fields appear only when the user has them.
 */
export const userView = (user: UserRow, domain: string) => {
  const membership = user.memberships.find((m) => m.domain === domain)
  return {
    id: user.userId,
    username: user.username,
    ...user.profile,
    domain,
    groups: membership?.groups ?? [],
    ...(membership?.role === undefined ? {} : { role: membership.role }),
    ...(membership?.access === undefined ? {} : { access: membership.access }),
    domains: user.memberships.map((m) => m.domain),
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    version: user.version
  }
}
