import { Result, Schema } from "effect"
import { normalizePermissions, permissionKey, PermissionSchema, type Permission } from "../../access/Permission.js"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { CommandSchema, EventSchema } from "../../decider/Schemas.js"

/** A named set of permissions within one domain. Stream `group-<domain>-<name>`. */
export const GROUP_CATEGORY = "group"

/** Built in: bypasses every check, is not stored as a group, cannot be created or edited. */
export const SUPERUSER_GROUP = "superuser"

export const GroupCreated = EventSchema("GroupCreated", { name: Schema.String, permissions: Schema.Array(PermissionSchema) })
export type GroupCreated = typeof GroupCreated.Type
export const PermissionGranted = EventSchema("PermissionGranted", { name: Schema.String, permission: PermissionSchema })
export type PermissionGranted = typeof PermissionGranted.Type
export const PermissionRevoked = EventSchema("PermissionRevoked", { name: Schema.String, permission: PermissionSchema })
export type PermissionRevoked = typeof PermissionRevoked.Type
export const GROUP_EVENTS = [GroupCreated, PermissionGranted, PermissionRevoked] as const
export type GroupEvent = (typeof GROUP_EVENTS)[number]["Type"]

/** The group's name is the aggregate id (filled in from the envelope). */
export const CreateGroup = CommandSchema("createGroup", { name: Schema.String, permissions: Schema.Array(PermissionSchema) })
export const GrantPermission = CommandSchema("grantPermission", { name: Schema.String, permission: PermissionSchema })
export const RevokePermission = CommandSchema("revokePermission", { name: Schema.String, permission: PermissionSchema })
export const GROUP_COMMANDS = [CreateGroup, GrantPermission, RevokePermission] as const
export type GroupCommand = (typeof GROUP_COMMANDS)[number]["Type"]

/** A group: absent until created. */
export type GroupState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Created"; readonly permissions: ReadonlyArray<Permission> }

const has = (permissions: ReadonlyArray<Permission>, permission: Permission) =>
  permissions.some((p) => permissionKey(p) === permissionKey(permission))

const noGroup = (name: string) => Result.fail(new CommandRejected({ reason: "not_found", message: `no group ${name}` }))

export const groupDecider: Decider<GroupState, GroupCommand, GroupEvent> = {
  initialState: () => ({ _tag: "Absent" }),
  evolve: (state, event) => {
    if (event.type === "GroupCreated") return { _tag: "Created", permissions: event.data.permissions }
    // Nothing but a creation can come first in a group's stream.
    if (state._tag === "Absent") return state
    switch (event.type) {
      case "PermissionGranted":
        return { _tag: "Created", permissions: [...state.permissions, event.data.permission] }
      case "PermissionRevoked":
        return { _tag: "Created", permissions: state.permissions.filter((p) => permissionKey(p) !== permissionKey(event.data.permission)) }
    }
  },
  decide: (command, state) => {
    if (command.name === SUPERUSER_GROUP) {
      return Result.fail(new CommandRejected({ reason: "forbidden", message: "the superuser group is built in and cannot be changed" }))
    }
    switch (command.type) {
      case "createGroup":
        return state._tag === "Created"
          ? Result.fail(new CommandRejected({ reason: "conflict", message: `group ${command.name} already exists` }))
          : Result.succeed([{ type: "GroupCreated", data: { name: command.name, permissions: normalizePermissions(command.permissions) } }])
      case "grantPermission":
        if (state._tag === "Absent") return noGroup(command.name)
        return Result.succeed(has(state.permissions, command.permission) ? [] : [{ type: "PermissionGranted", data: { name: command.name, permission: command.permission } }])
      case "revokePermission":
        if (state._tag === "Absent") return noGroup(command.name)
        if (!has(state.permissions, command.permission)) {
          return Result.fail(new CommandRejected({ reason: "not_found", message: `group ${command.name} does not hold ${permissionKey(command.permission)}` }))
        }
        return Result.succeed([{ type: "PermissionRevoked", data: { name: command.name, permission: command.permission } }])
    }
  }
}

export const groupAggregate = fromDecider({
  category: GROUP_CATEGORY,
  decider: groupDecider,
  commands: GROUP_COMMANDS,
  events: GROUP_EVENTS,
  fromEnvelope: (command) => ({ name: command.aggregateId }),
  reply: (state): { readonly permissions: ReadonlyArray<Permission> } => ({ permissions: state._tag === "Created" ? state.permissions : [] })
})
