import { Effect, Schema } from "effect"
import { generateApiKeyToken, json, text, type HttpRequest, type HttpResponse, type Router } from "@machhub/adapters"
import {
  API_KEY_CATEGORY,
  isAllowed,
  isUuid,
  scopeRank,
  widestScope,
  type CommandReply,
  type Permission
} from "@machhub/core"
import { makeApiKeysReadModel, type ApiKeyRow } from "@machhub/projections"
import { apiKeyHasherFor } from "../auth/apiKeyHasher.js"
import { actorOf, type Principal } from "../auth/Principal.js"
import { protect, type Requirement } from "../auth/protect.js"
import {
  checkExpiration,
  checkName,
  checkScopes,
  FeatureList,
  grantProblem,
  isProblem,
  KeyDescription,
  KeyName,
  ScopeList,
  toPermissions
} from "../identity/apiKeyInput.js"
import { apiKeyView } from "../identity/apiKeyView.js"
import type { RouteModule } from "../ServerContext.js"
import { decodeBody } from "./decodeBody.js"
import { keyedId } from "./idempotency.js"
import { ifMatch, mutationHeaders, respond, runCommand } from "./runCommand.js"
import { parseAsOf } from "../audit/asOf.js"
import { apiKeyAsOf } from "../audit/apiKeyAsOf.js"

const readGenerate = decodeBody(Schema.Struct({
  name: KeyName,
  description: Schema.optional(KeyDescription),
  expiration: Schema.optional(Schema.NullOr(Schema.Number)),
  features: Schema.optional(FeatureList),
  scopes: Schema.optional(ScopeList)
}))
const readPatch = decodeBody(Schema.Struct({
  name: Schema.optional(KeyName),
  description: Schema.optional(KeyDescription),
  features: Schema.optional(FeatureList),
  scopes: Schema.optional(ScopeList)
}))
const readDelete = decodeBody(Schema.Struct({ id: Schema.String.check(Schema.isMaxLength(100)) }))
const readSuspend = decodeBody(Schema.Struct({ reason: Schema.optional(Schema.String.check(Schema.isMaxLength(500))) }))

const ISSUE: Requirement = { feature: "api_keys", action: "read-write", scope: "self" }
const ADMINISTER: Requirement = { feature: "api_keys", action: "read-write", scope: "domain" }
const LIST: Requirement = { feature: "api_keys", action: "read", scope: "self" }

const nowSeconds = () => Date.now() / 1000

/**
 * API keys of the active domain (SPEC §4): issue (the key is answered once, only its HMAC is kept),
 * list, change, revoke, suspend and resume. `api_keys` at scope `domain` reaches every key of the
 * domain; at scope `self` only the keys the caller issued (others' look missing). Suspending and
 * resuming need scope `domain`: an administrator's suspension must not be lifted by the key's owner.
 * Keys cannot manage keys, so a leaked key cannot mint more keys or outlive its own revocation.
 */
export const apiKeyRoutes: RouteModule = (router: Router, context) => {
  const keys = makeApiKeysReadModel(context.readModels)
  const hasher = apiKeyHasherFor(context.config.dataDir)

  /** protect(), but a key is refused with its own message before the permission check. */
  const route = (requirement: Requirement, handler: (request: HttpRequest, principal: Principal) => HttpResponse | Promise<HttpResponse>) =>
    protect(context.authenticator, undefined, (request, principal) => {
      if (principal.kind === "key") return text(403, "API keys cannot manage API keys")
      if (!isAllowed(principal.permissions, requirement, principal.superuser)) {
        return text(403, `Missing permission ${requirement.feature}:${requirement.action}:${requirement.scope} in domain ${principal.domain}`)
      }
      return handler(request, principal)
    })

  /** The issuer a caller is limited to at `action`, or undefined when it reaches the whole domain. */
  const limitedTo = (principal: Principal, action: "read" | "read-write"): string | undefined =>
    scopeRank(widestScope(principal.permissions, "api_keys", action, principal.superuser)) >= scopeRank("domain") ? undefined : principal.userId

  const notFound = (principal: Principal, id: string) => text(404, `No API key ${id.slice(0, 100)} in domain ${principal.domain}`)

  /** The key `id` of the caller's domain if the caller may reach it at `action`. */
  const visible = (principal: Principal, id: string, action: "read" | "read-write"): ApiKeyRow | undefined => {
    if (!isUuid(id)) return undefined
    const row = keys.find(principal.domain, id)
    const only = limitedTo(principal, action)
    return row === undefined || (only !== undefined && row.issuedBy !== only) ? undefined : row
  }

  const keyCommand = (
    request: HttpRequest,
    principal: Principal,
    keyId: string,
    type: string,
    payload: Record<string, unknown>,
    answer: (reply: CommandReply) => HttpResponse
  ): HttpResponse | Promise<HttpResponse> => {
    const expected = ifMatch(request)
    if (!expected.ok) return expected.response
    return respond(
      runCommand(context, {
        type,
        category: API_KEY_CATEGORY,
        domain: principal.domain,
        aggregateId: keyId,
        payload,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"],
        ...(expected.version === undefined ? {} : { expectedVersion: expected.version })
      }).pipe(Effect.map(answer))
    )
  }

  /** Runs a management command on a key the caller may change, answering the key as it is after. */
  const manage = (request: HttpRequest, principal: Principal, id: string, type: string, payload: Record<string, unknown>) => {
    const row = visible(principal, id, "read-write")
    if (row === undefined) return notFound(principal, id)
    const only = limitedTo(principal, "read-write")
    return keyCommand(request, principal, row.keyId, type, only === undefined ? payload : { ...payload, onlyIssuedBy: only }, (reply) => {
      const after = keys.find(principal.domain, row.keyId)
      return json(200, { success: true, id: row.keyId, ...(after === undefined ? {} : { key: apiKeyView(after) }) }, mutationHeaders(reply))
    })
  }

  router.add("POST", "/api/api-key/generate", route(ISSUE, (request, principal) => {
    const body = readGenerate(request)
    if (!body.ok) return body.response
    const name = checkName(body.value.name)
    if (isProblem(name)) return text(name.status, name.message)
    const expiresAt = checkExpiration(body.value.expiration, nowSeconds())
    if (isProblem(expiresAt)) return text(expiresAt.status, expiresAt.message)
    const permissions = toPermissions(body.value.features ?? [])
    if (isProblem(permissions)) return text(permissions.status, permissions.message)
    const scopes = checkScopes(body.value.scopes ?? [])
    if (isProblem(scopes)) return text(scopes.status, scopes.message)
    const refused = grantProblem(principal, permissions, scopes)
    if (refused !== undefined) return text(refused.status, refused.message)

    const keyId = keyedId(request, principal.domain, actorOf(principal), "apikey")
    // With an Idempotency-Key the token derives from it under the server secret, so the retry of a
    // generation whose answer was lost shows the same token (README, Idempotency-Key).
    const retryable = request.headers["idempotency-key"]
    const token = retryable === undefined ? generateApiKeyToken() : hasher.derivedToken(`${principal.domain}\u0000${principal.userId}\u0000${retryable}`)
    const payload = {
      name,
      description: body.value.description ?? "",
      expiresAt,
      permissions,
      scopes,
      issuedBy: principal.userId,
      secretHash: hasher.hash(token)
    }
    // "no_stream": a fresh id can only collide with a bug, and must never overwrite a key.
    return respond(
      runCommand(context, {
        type: "issueKey",
        category: API_KEY_CATEGORY,
        domain: principal.domain,
        aggregateId: keyId,
        payload,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: retryable,
        expectedVersion: "no_stream"
      }).pipe(Effect.map((reply) => json(200, { success: true, id: keyId, token }, mutationHeaders(reply))))
    )
  }))

  router.add("GET", "/api/api-key/get-all", route(LIST, (_, principal) =>
    json(200, keys.list(principal.domain, limitedTo(principal, "read")).map((row) => apiKeyView(row)))))

  router.add("GET", "/api/api-key/:id", route(LIST, (request, principal) => {
    const asOf = parseAsOf(request)
    if (!asOf.ok) return asOf.response
    const id = request.params["id"]!
    const row = visible(principal, id, "read")
    if (row === undefined) return notFound(principal, id)
    // ?asOf=: the key as it was then, folded from its stream (SPEC §10).
    return asOf.asOf === undefined ? json(200, apiKeyView(row)) : apiKeyAsOf(context.store, row, asOf.asOf)
  }))

  router.add("PATCH", "/api/api-key/:id", route(ISSUE, (request, principal) => {
    const body = readPatch(request)
    if (!body.ok) return body.response
    const { name, description, features, scopes } = body.value
    if (name === undefined && description === undefined && features === undefined && scopes === undefined) {
      return text(400, "Send at least one of name, description, features, scopes")
    }
    const payload: Record<string, unknown> = {}
    if (name !== undefined) {
      const checked = checkName(name)
      if (isProblem(checked)) return text(checked.status, checked.message)
      payload["name"] = checked
    }
    if (description !== undefined) payload["description"] = description
    let permissions: Array<Permission> = []
    if (features !== undefined) {
      const checked = toPermissions(features)
      if (isProblem(checked)) return text(checked.status, checked.message)
      payload["permissions"] = permissions = checked
    }
    let keyScopes: Array<string> = []
    if (scopes !== undefined) {
      const checked = checkScopes(scopes)
      if (isProblem(checked)) return text(checked.status, checked.message)
      payload["scopes"] = keyScopes = checked
    }
    // Only what is being granted now is checked: renaming a key needs no rights over its grants.
    const refused = grantProblem(principal, permissions, keyScopes)
    if (refused !== undefined) return text(refused.status, refused.message)
    return manage(request, principal, request.params["id"]!, "updateKey", payload)
  }))

  router.add("DELETE", "/api/api-key/delete", route(ISSUE, (request, principal) => {
    const body = readDelete(request)
    if (!body.ok) return body.response
    return manage(request, principal, body.value.id, "revokeKey", {})
  }))

  router.add("DELETE", "/api/api-key/:id", route(ISSUE, (request, principal) =>
    manage(request, principal, request.params["id"]!, "revokeKey", {})))

  router.add("POST", "/api/api-key/:id/suspend", route(ADMINISTER, (request, principal) => {
    let reason: string | undefined
    if (request.body.length > 0) {
      const body = readSuspend(request)
      if (!body.ok) return body.response
      reason = body.value.reason
    }
    return manage(request, principal, request.params["id"]!, "suspendKey", reason === undefined ? {} : { reason })
  }))

  router.add("POST", "/api/api-key/:id/resume", route(ADMINISTER, (request, principal) =>
    manage(request, principal, request.params["id"]!, "resumeKey", {})))
}
