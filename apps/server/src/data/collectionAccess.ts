import { scopeRank, widestScope, type ActorRef, type CollectionAccess } from "@machhub/core"
import type { Principal } from "../auth/Principal.js"
import { missingPermission } from "../api/refusals.js"

export const ANONYMOUS: ActorRef = { kind: "anonymous", id: "anonymous" }

/** What a caller may do in one collection: refused, or allowed (possibly limited to its own records). */
export type AccessDecision =
  | { readonly allowed: false; readonly status: 401 | 403; readonly message: string }
  | { readonly allowed: true; readonly actor: ActorRef; readonly onlyCreator: string | undefined }

const creatorKey = (actor: ActorRef) => `${actor.kind}:${actor.id}`

/**
 * SPEC §3/§6: `collections` feature, `read` vs `read-write`, `self` vs `domain` scope (a `self` caller
 * sees and changes only what it created — or, for reads, everything when the collection's `owner` is
 * "domain"); anonymous callers only where the collection is public for that verb.
 */
export const collectionAccess = (principal: Principal | undefined, access: CollectionAccess, verb: "read" | "write"): AccessDecision => {
  if (principal === undefined) {
    const open = verb === "read" ? access.publicRead : access.publicWrite
    return open
      ? { allowed: true, actor: ANONYMOUS, onlyCreator: undefined }
      : { allowed: false, status: 401, message: "Authentication required: this collection is not public" }
  }
  const action = verb === "read" ? "read" : "read-write"
  const scope = widestScope(principal.permissions, "collections", action, principal.superuser)
  const actor: ActorRef = { kind: principal.kind, id: principal.id }
  if (scopeRank(scope) >= scopeRank("domain")) return { allowed: true, actor, onlyCreator: undefined }
  if (scope === "self") {
    const everything = verb === "read" && access.owner === "domain"
    return { allowed: true, actor, onlyCreator: everything ? undefined : creatorKey(actor) }
  }
  const open = verb === "read" ? access.publicRead : access.publicWrite
  if (open) return { allowed: true, actor, onlyCreator: undefined }
  return { allowed: false, status: 403, message: missingPermission({ feature: "collections", action, scope: "self" }, principal.domain).message }
}
