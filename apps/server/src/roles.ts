/**
 * What one process does (MACHHUB_ROLES). In a distributed deployment edges and actor hosts scale
 * apart: edges answer HTTP and WebSocket callers, actors decide commands and append to the log,
 * projections keep the read models and publish committed events on NATS.
 */
export type Role = "edge" | "actors" | "projections"

export const ALL_ROLES: ReadonlyArray<Role> = ["edge", "actors", "projections"]

export type Roles = ReadonlySet<Role>

/** Parses a comma-separated list ("edge,actors"); returns a problem in words when it is not one. */
export const parseRoles = (raw: string): Roles | string => {
  const names = raw.split(",").map((name) => name.trim()).filter((name) => name !== "")
  if (names.length === 0) return `MACHHUB_ROLES must name at least one of ${ALL_ROLES.join(", ")}`
  const unknown = names.filter((name) => !(ALL_ROLES as ReadonlyArray<string>).includes(name))
  if (unknown.length > 0) {
    return `MACHHUB_ROLES: unknown role ${unknown.map((n) => `"${n}"`).join(", ")}; the roles are ${ALL_ROLES.join(", ")}`
  }
  return new Set(names as ReadonlyArray<Role>)
}

export const hasAllRoles = (roles: Roles): boolean => ALL_ROLES.every((role) => roles.has(role))

/**
 * An edge answers queries and checks credentials against read models in its own data directory, so
 * it keeps them up to date itself whether or not it also has the projections role.
 */
export const keepsReadModels = (roles: Roles): boolean => roles.has("edge") || roles.has("projections")

export const describeRoles = (roles: Roles): string => ALL_ROLES.filter((role) => roles.has(role)).join(",")
