import { Result } from "effect"
import { isKeyScope } from "../../access/KeyScopes.js"
import { isAction, isFeatureName, isScope, normalizePermissions, type Permission } from "../../access/Permission.js"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import type { ApiKeyCommand } from "./ApiKeyCommands.js"
import type { ApiKeyEvent } from "./ApiKeyEvents.js"

export type ApiKeyStatus = "active" | "suspended" | "revoked"

/** An API key: absent until issued. */
export type ApiKeyState =
  | { readonly _tag: "Absent" }
  | {
    readonly _tag: "Issued"
    readonly keyId: string
    readonly status: ApiKeyStatus
    readonly issuedBy: string
    readonly name: string
    readonly description: string
    readonly permissions: ReadonlyArray<Permission>
    readonly scopes: ReadonlyArray<string>
  }

const initialState = (): ApiKeyState => ({ _tag: "Absent" })

const evolve = (state: ApiKeyState, event: ApiKeyEvent): ApiKeyState => {
  if (event.type === "KeyIssued") {
    return {
      _tag: "Issued",
      keyId: event.data.keyId,
      status: "active",
      issuedBy: event.data.issuedBy,
      name: event.data.name,
      description: event.data.description,
      permissions: event.data.permissions,
      scopes: event.data.scopes
    }
  }
  // Nothing but an issue can come first in a key's stream.
  if (state._tag === "Absent") return state
  switch (event.type) {
    case "KeyUpdated":
      return { ...state, name: event.data.name, description: event.data.description, permissions: event.data.permissions, scopes: event.data.scopes }
    case "KeyRevoked":
      return { ...state, status: "revoked" }
    case "KeySuspended":
      return { ...state, status: "suspended" }
    case "KeyResumed":
      return { ...state, status: "active" }
  }
}

const reject = (reason: CommandRejected["reason"], message: string) => Result.fail(new CommandRejected({ reason, message }))

/** The shape rules a key's grants must meet wherever they come from (the edge checks them too, with field names). */
const grantsProblem = (permissions: ReadonlyArray<Permission> | undefined, scopes: ReadonlyArray<string> | undefined): string | undefined => {
  for (const p of permissions ?? []) {
    if (!isFeatureName(p.feature) || !isAction(p.action) || !isScope(p.scope)) return `invalid permission ${p.feature}:${p.action}:${p.scope}`
  }
  for (const scope of scopes ?? []) if (!isKeyScope(scope)) return `unknown key scope ${scope}`
  return undefined
}

const sameGrants = (a: ReadonlyArray<Permission>, b: ReadonlyArray<Permission>) => JSON.stringify(a) === JSON.stringify(b)
const uniqueScopes = (scopes: ReadonlyArray<string>) => [...new Set(scopes)].sort()

const decide = (command: ApiKeyCommand, state: ApiKeyState): Result.Result<ReadonlyArray<ApiKeyEvent>, CommandRejected> => {
  if (command.type === "issueKey") {
    if (state._tag === "Issued") return reject("conflict", `API key ${command.keyId} already exists`)
    if (command.name.trim() === "") return reject("unprocessable", "an API key needs a name")
    if (!Number.isSafeInteger(command.expiresAt) || command.expiresAt < 0) return reject("unprocessable", "expiresAt must be unix seconds, or 0 for never")
    if (command.secretHash === "" || command.issuedBy === "") return reject("invalid", "an API key needs a secret hash and an issuer")
    const problem = grantsProblem(command.permissions, command.scopes)
    if (problem !== undefined) return reject("unprocessable", problem)
    return Result.succeed([{
      type: "KeyIssued",
      data: {
        keyId: command.keyId,
        name: command.name,
        description: command.description,
        expiresAt: command.expiresAt,
        permissions: normalizePermissions(command.permissions),
        scopes: uniqueScopes(command.scopes),
        issuedBy: command.issuedBy,
        secretHash: command.secretHash
      }
    }])
  }

  // Someone else's key looks exactly like a missing one to a caller limited to its own keys.
  if (state._tag === "Absent" || (command.onlyIssuedBy !== undefined && command.onlyIssuedBy !== state.issuedBy)) {
    return reject("not_found", "no such API key")
  }
  const keyId = state.keyId
  switch (command.type) {
    case "updateKey": {
      if (state.status === "revoked") return reject("conflict", `API key ${keyId} is revoked and cannot be changed`)
      if (command.name !== undefined && command.name.trim() === "") return reject("unprocessable", "an API key needs a name")
      const problem = grantsProblem(command.permissions, command.scopes)
      if (problem !== undefined) return reject("unprocessable", problem)
      const next = {
        keyId,
        name: command.name ?? state.name,
        description: command.description ?? state.description,
        permissions: command.permissions === undefined ? state.permissions : normalizePermissions(command.permissions),
        scopes: command.scopes === undefined ? state.scopes : uniqueScopes(command.scopes)
      }
      const unchanged = next.name === state.name && next.description === state.description &&
        sameGrants(next.permissions, state.permissions) && next.scopes.join(",") === state.scopes.join(",")
      return Result.succeed(unchanged ? [] : [{ type: "KeyUpdated", data: next }])
    }
    case "revokeKey":
      return Result.succeed(state.status === "revoked" ? [] : [{ type: "KeyRevoked", data: { keyId } }])
    case "suspendKey":
      if (state.status === "revoked") return reject("conflict", `API key ${keyId} is revoked`)
      if (state.status === "suspended") return Result.succeed([])
      return Result.succeed([{ type: "KeySuspended", data: command.reason === undefined ? { keyId } : { keyId, reason: command.reason } }])
    case "resumeKey":
      if (state.status === "revoked") return reject("conflict", `API key ${keyId} is revoked and cannot be resumed`)
      return Result.succeed(state.status === "suspended" ? [{ type: "KeyResumed", data: { keyId } }] : [])
  }
}

export const apiKeyDecider: Decider<ApiKeyState, ApiKeyCommand, ApiKeyEvent> = { initialState, evolve, decide }
