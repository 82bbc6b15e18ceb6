import { Effect } from "effect"
import type { HttpRequest } from "@machhub/adapters"
import {
  CommandRejected,
  GROUP_CATEGORY,
  isAction,
  isFeatureName,
  isScope,
  isSubsetOf,
  SUPERUSER_GROUP,
  type CommandError,
  type CommandReply,
  type Permission
} from "@machhub/core"
import type { GroupRow } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { runCommand } from "../routes/runCommand.js"
import type { ServerContext } from "../ServerContext.js"

/** A permission as a request states it, before it is checked. */
export interface RawPermission {
  readonly feature: string
  readonly action: string
  readonly scope: string
}

const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/
const GROUP_NAME_RULE = "name must be 1 to 64 lower-case letters, digits, _ or -"

const unprocessable = (message: string) => new CommandRejected({ reason: "unprocessable", message })

/** Where a permission's field was in the request, for messages: e.g. `permissions[2].scope`, or `features[0].name` (the SDK's name for the feature). */
export type FieldLabel = (index: number, field: keyof RawPermission) => string

/** Checks one permission, naming the field at fault; custom features are allowed (SPEC §3). */
export const toPermission = (raw: RawPermission, index: number, label: FieldLabel): Permission | string => {
  if (!isFeatureName(raw.feature)) return `${label(index, "feature")} must be lower-case letters, digits, _ or - (e.g. collections)`
  if (!isAction(raw.action)) return `${label(index, "action")} must be read or read-write`
  if (!isScope(raw.scope)) return `${label(index, "scope")} must be one of nil, self, domain, all`
  return { feature: raw.feature, action: raw.action, scope: raw.scope }
}

/**
 * What the group routes do, stated once for the management routes (`/api/groups…`) and the MACHHUB
 * SDK's (`/auth/group`, `/auth/permission`, also under `/machhub`): the same checks in the same order
 * (name, each permission, nobody grants more than they hold, the group exists), refusals as
 * `CommandRejected` answered by their reason's status.
 */
export const makeGroupManagement = (context: ServerContext) => {
  const permissionsOf = (raws: ReadonlyArray<RawPermission>, label: FieldLabel): Array<Permission> | CommandRejected => {
    const permissions: Array<Permission> = []
    for (const [i, raw] of raws.entries()) {
      const permission = toPermission(raw, i, label)
      if (typeof permission === "string") return unprocessable(permission)
      permissions.push(permission)
    }
    return permissions
  }

  const exceeds = (principal: Principal, permissions: ReadonlyArray<Permission>) =>
    !isSubsetOf(permissions, principal.permissions, principal.superuser)

  const target = (principal: Principal, request: HttpRequest, name: string) => ({
    category: GROUP_CATEGORY,
    domain: principal.domain,
    aggregateId: name,
    actor: actorOf(principal),
    correlationId: request.correlationId
  })

  return {
    /** The group of the active domain, if it exists. */
    find: (principal: Principal, name: string): GroupRow | undefined => context.groups.find(principal.domain, name),

    /** Creates a group of the active domain; `label` names each permission's fields as the request wrote them. */
    create: (
      principal: Principal,
      request: HttpRequest,
      name: string,
      raws: ReadonlyArray<RawPermission>,
      label: FieldLabel
    ): Effect.Effect<{ readonly reply: CommandReply; readonly group: GroupRow | undefined }, CommandError> => {
      if (!GROUP_NAME.test(name)) return Effect.fail(unprocessable(GROUP_NAME_RULE))
      const permissions = permissionsOf(raws, label)
      if (permissions instanceof CommandRejected) return Effect.fail(permissions)
      if (exceeds(principal, permissions)) {
        return Effect.fail(new CommandRejected({ reason: "forbidden", message: "You cannot grant permissions you do not hold yourself" }))
      }
      return runCommand(context, {
        ...target(principal, request, name),
        type: "createGroup",
        payload: { permissions },
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => ({ reply, group: context.groups.find(principal.domain, name) })))
    },

    /**
     * Grants (or revokes) permissions to an existing group of the active domain, one command each. A
     * grant already held appends nothing, so repeating the request changes nothing: the request's
     * Idempotency-Key is carried only when there is one command (one key answers one command).
     */
    change: (
      principal: Principal,
      request: HttpRequest,
      name: string,
      type: "grantPermission" | "revokePermission",
      raws: ReadonlyArray<RawPermission>,
      label: FieldLabel
    ): Effect.Effect<{ readonly replies: ReadonlyArray<CommandReply>; readonly group: GroupRow | undefined }, CommandError> => {
      const permissions = permissionsOf(raws, label)
      if (permissions instanceof CommandRejected) return Effect.fail(permissions)
      if (exceeds(principal, permissions)) {
        return Effect.fail(new CommandRejected({ reason: "forbidden", message: "You cannot grant or revoke permissions you do not hold yourself" }))
      }
      if (name !== SUPERUSER_GROUP && context.groups.find(principal.domain, name) === undefined) {
        return Effect.fail(new CommandRejected({ reason: "not_found", message: `No group ${name.slice(0, 64)} in domain ${principal.domain}` }))
      }
      const idempotencyKey = permissions.length === 1 ? request.headers["idempotency-key"] : undefined
      return Effect.forEach(permissions, (permission) =>
        runCommand(context, { ...target(principal, request, name), type, payload: { permission }, idempotencyKey })).pipe(
          Effect.map((replies) => ({ replies, group: context.groups.find(principal.domain, name) }))
        )
    }
  }
}

export type GroupManagement = ReturnType<typeof makeGroupManagement>
