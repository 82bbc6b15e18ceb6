import { Result } from "effect"
import { normalizePermissions, permissionKey, type Permission } from "../../access/Permission.js"
import type { Command } from "../../commands/Command.js"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider, DomainEvent } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"

/** A named set of permissions within one domain. Stream `group-<domain>-<name>`. */
export const GROUP_CATEGORY = "group"

/** Built in: bypasses every check, is not stored as a group, cannot be created or edited. */
export const SUPERUSER_GROUP = "superuser"

export type GroupCreated = DomainEvent<"GroupCreated", { readonly name: string; readonly permissions: ReadonlyArray<Permission> }>
export type PermissionGranted = DomainEvent<"PermissionGranted", { readonly name: string; readonly permission: Permission }>
export type PermissionRevoked = DomainEvent<"PermissionRevoked", { readonly name: string; readonly permission: Permission }>
export type GroupEvent = GroupCreated | PermissionGranted | PermissionRevoked

export type GroupCommand =
  | { readonly type: "createGroup"; readonly name: string; readonly permissions: ReadonlyArray<Permission> }
  | { readonly type: "grantPermission"; readonly name: string; readonly permission: Permission }
  | { readonly type: "revokePermission"; readonly name: string; readonly permission: Permission }

export interface GroupState {
  readonly exists: boolean
  readonly permissions: ReadonlyArray<Permission>
}

const has = (state: GroupState, permission: Permission) => state.permissions.some((p) => permissionKey(p) === permissionKey(permission))

export const groupDecider: Decider<GroupState, GroupCommand, GroupEvent> = {
  initialState: () => ({ exists: false, permissions: [] }),
  evolve: (state, event) => {
    switch (event.type) {
      case "GroupCreated":
        return { exists: true, permissions: event.data.permissions }
      case "PermissionGranted":
        return { ...state, permissions: [...state.permissions, event.data.permission] }
      case "PermissionRevoked":
        return { ...state, permissions: state.permissions.filter((p) => permissionKey(p) !== permissionKey(event.data.permission)) }
    }
  },
  decide: (command, state) => {
    if (command.name === SUPERUSER_GROUP) {
      return Result.fail(new CommandRejected({ reason: "forbidden", message: "the superuser group is built in and cannot be changed" }))
    }
    switch (command.type) {
      case "createGroup":
        return state.exists
          ? Result.fail(new CommandRejected({ reason: "conflict", message: `group ${command.name} already exists` }))
          : Result.succeed([{ type: "GroupCreated", data: { name: command.name, permissions: normalizePermissions(command.permissions) } }])
      case "grantPermission":
        if (!state.exists) return Result.fail(new CommandRejected({ reason: "not_found", message: `no group ${command.name}` }))
        return Result.succeed(has(state, command.permission) ? [] : [{ type: "PermissionGranted", data: { name: command.name, permission: command.permission } }])
      case "revokePermission":
        if (!state.exists) return Result.fail(new CommandRejected({ reason: "not_found", message: `no group ${command.name}` }))
        if (!has(state, command.permission)) {
          return Result.fail(new CommandRejected({ reason: "not_found", message: `group ${command.name} does not hold ${permissionKey(command.permission)}` }))
        }
        return Result.succeed([{ type: "PermissionRevoked", data: { name: command.name, permission: command.permission } }])
    }
  }
}

export const groupAggregate = fromDecider({
  category: GROUP_CATEGORY,
  decider: groupDecider,
  toCommand: (command: Command): GroupCommand | undefined => {
    const payload = command.payload as Record<string, unknown>
    switch (command.type) {
      case "createGroup":
      case "grantPermission":
      case "revokePermission":
        return { ...payload, type: command.type, name: command.aggregateId } as GroupCommand
      default:
        return undefined
    }
  },
  reply: (state) => ({ permissions: state.permissions })
})
