import { Effect, Schema } from "effect"
import { generateApiKeyToken, json, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import {
  API_KEY_CATEGORY,
  commandOf,
  isUuid,
  scopeRank,
  widestScope,
  type CommandReply,
  type KnownCommandType,
  type PayloadOf,
  type Permission
} from "@machhub/core"
import { makeApiKeysReadModel, type ApiKeyRow } from "@machhub/projections"
import { apiKeyHasherFor } from "../auth/apiKeyHasher.js"
import { actorOf, type Principal } from "../auth/Principal.js"
import { body, error, ok, optionalBody, route, type AnyRoute, type CredentialPolicy, type Requirement } from "../api/RouteDeclaration.js"
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
import type { ServerContext } from "../ServerContext.js"
import { AsOfQuery, Json } from "./schemas.js"
import { keyedId } from "./idempotency.js"
import { ifMatch, mutationHeaders, respond, runCommand } from "./runCommand.js"
import { parseAsOf } from "../audit/asOf.js"
import { apiKeyAsOf } from "../audit/apiKeyAsOf.js"

const Generate = Schema.Struct({
  name: KeyName,
  description: Schema.optional(KeyDescription),
  expiration: Schema.optional(Schema.NullOr(Schema.Number)),
  features: Schema.optional(FeatureList),
  scopes: Schema.optional(ScopeList)
})
const Patch = Schema.Struct({
  name: Schema.optional(KeyName),
  description: Schema.optional(KeyDescription),
  features: Schema.optional(FeatureList),
  scopes: Schema.optional(ScopeList)
})
const Delete = Schema.Struct({ id: Schema.String.check(Schema.isMaxLength(100)) })
const Suspend = Schema.Struct({ reason: Schema.optional(Schema.String.check(Schema.isMaxLength(500))) })
const KeyChanged = Schema.Struct({ success: Schema.Literal(true), id: Schema.String, key: Schema.optional(Json) })

const ISSUE: Requirement = { feature: "api_keys", action: "read-write", scope: "self" }
const ADMINISTER: Requirement = { feature: "api_keys", action: "read-write", scope: "domain" }
const LIST: Requirement = { feature: "api_keys", action: "read", scope: "self" }
/** Keys cannot manage keys, so a leaked key cannot mint more keys or outlive its own revocation. */
const USERS_ONLY: CredentialPolicy = { cookie: false, keys: "refused-on-api-keys" }

const nowSeconds = () => Date.now() / 1000

/**
 * API keys of the active domain (SPEC §4): issue (the key is answered once, only its HMAC is kept),
 * list, change, revoke, suspend and resume. `api_keys` at scope `domain` reaches every key of the
 * domain; at scope `self` only the keys the caller issued (others' look missing). Suspending and
 * resuming need scope `domain`: an administrator's suspension must not be lifted by the key's owner.
 * Keys cannot manage keys, so a leaked key cannot mint more keys or outlive its own revocation.
 */
export const apiKeyRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const keys = makeApiKeysReadModel(context.readModels)
  const hasher = apiKeyHasherFor(context.config.dataDir)

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

  const keyCommand = <T extends KnownCommandType>(
    request: HttpRequest,
    principal: Principal,
    keyId: string,
    type: T,
    payload: PayloadOf<T>,
    answer: (reply: CommandReply) => HttpResponse
  ): HttpResponse | Promise<HttpResponse> => {
    const expected = ifMatch(request)
    if (!expected.ok) return expected.response
    return respond(
      runCommand(context, {
        ...commandOf(type, payload),
        category: API_KEY_CATEGORY,
        domain: principal.domain,
        aggregateId: keyId,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"],
        ...(expected.version === undefined ? {} : { expectedVersion: expected.version })
      }).pipe(Effect.map(answer))
    )
  }

  /** Runs a management command on a key the caller may change, answering the key as it is after. */
  const manage = <T extends KnownCommandType>(request: HttpRequest, principal: Principal, id: string, type: T, payload: Record<string, unknown>) => {
    const row = visible(principal, id, "read-write")
    if (row === undefined) return notFound(principal, id)
    const only = limitedTo(principal, "read-write")
    return keyCommand(request, principal, row.keyId, type, (only === undefined ? payload : { ...payload, onlyIssuedBy: only }) as PayloadOf<T>, (reply) => {
      const after = keys.find(principal.domain, row.keyId)
      return json(200, { success: true, id: row.keyId, ...(after === undefined ? {} : { key: apiKeyView(after) }) }, mutationHeaders(reply))
    })
  }

  /** A key route: users only, needing `permission`. */
  const keyRoute = { tag: "api-keys", credentials: USERS_ONLY } as const
  const idParam = { id: "The key's id" } as const
  const changeAnswers = {
    200: ok("Changed; the key as it is now", KeyChanged),
    404: error("No such key the caller may change"),
    412: error("If-Match does not match the key's version")
  } as const

  return [
    route({
      ...keyRoute,
      method: "POST",
      path: "/api/api-key/generate",
      summary: "Issue an API key (its token is answered once, only its HMAC is kept)",
      access: { kind: "authenticated", permission: ISSUE },
      headers: ["Idempotency-Key"],
      body: body(Generate, "name; optional description, expiration (seconds since epoch or null), features and scopes to grant"),
      responses: {
        200: ok("Issued", Schema.Struct({ success: Schema.Literal(true), id: Schema.String, token: Schema.String })),
        403: error("Granting what the caller does not hold"),
        422: error("A name, expiration, feature or scope breaks a rule")
      },
      handler: ({ request, principal, body }) => {
        const name = checkName(body.name)
        if (isProblem(name)) return text(name.status, name.message)
        const expiresAt = checkExpiration(body.expiration, nowSeconds())
        if (isProblem(expiresAt)) return text(expiresAt.status, expiresAt.message)
        const permissions = toPermissions(body.features ?? [])
        if (isProblem(permissions)) return text(permissions.status, permissions.message)
        const scopes = checkScopes(body.scopes ?? [])
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
          description: body.description ?? "",
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
      }
    }),

    route({
      ...keyRoute,
      method: "GET",
      path: "/api/api-key/get-all",
      summary: "The keys of the active domain the caller may see (its own at scope self)",
      access: { kind: "authenticated", permission: LIST },
      responses: { 200: ok("The keys, never their tokens", Schema.Array(Json)) },
      handler: ({ principal }) => json(200, keys.list(principal.domain, limitedTo(principal, "read")).map((row) => apiKeyView(row)))
    }),

    route({
      ...keyRoute,
      method: "GET",
      path: "/api/api-key/:id",
      summary: "One key, now or as of a past moment",
      access: { kind: "authenticated", permission: LIST },
      params: idParam,
      query: AsOfQuery,
      responses: { 200: ok("The key", Json), 400: error("asOf is malformed"), 404: error("No such key the caller may see") },
      handler: ({ request, params: { id }, principal }) => {
        const asOf = parseAsOf(request)
        if (!asOf.ok) return asOf.response
        const row = visible(principal, id, "read")
        if (row === undefined) return notFound(principal, id)
        // ?asOf=: the key as it was then, folded from its stream (SPEC §10).
        return asOf.asOf === undefined ? json(200, apiKeyView(row)) : apiKeyAsOf(context.store, row, asOf.asOf)
      }
    }),

    route({
      ...keyRoute,
      method: "PATCH",
      path: "/api/api-key/:id",
      summary: "Change a key's name, description, features or scopes",
      access: { kind: "authenticated", permission: ISSUE },
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      body: body(Patch, "At least one of name, description, features, scopes"),
      responses: { ...changeAnswers, 403: error("Granting what the caller does not hold"), 422: error("A value breaks a rule") },
      handler: ({ request, params: { id }, principal, body: { name, description, features, scopes } }) => {
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
        return manage(request, principal, id, "updateKey", payload)
      }
    }),

    route({
      ...keyRoute,
      method: "DELETE",
      path: "/api/api-key/delete",
      summary: "Revoke a key named in the body (the seed's form)",
      access: { kind: "authenticated", permission: ISSUE },
      headers: ["If-Match", "Idempotency-Key"],
      body: body(Delete),
      responses: changeAnswers,
      handler: ({ request, principal, body }) => manage(request, principal, body.id, "revokeKey", {})
    }),

    route({
      ...keyRoute,
      method: "DELETE",
      path: "/api/api-key/:id",
      summary: "Revoke a key",
      access: { kind: "authenticated", permission: ISSUE },
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: changeAnswers,
      handler: ({ request, params: { id }, principal }) => manage(request, principal, id, "revokeKey", {})
    }),

    route({
      ...keyRoute,
      method: "POST",
      path: "/api/api-key/:id/suspend",
      summary: "Suspend a key (administrators: its owner cannot lift it)",
      access: { kind: "authenticated", permission: ADMINISTER },
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      body: optionalBody(Suspend, "Optional: a reason"),
      responses: changeAnswers,
      handler: ({ request, params: { id }, principal, body }) => {
        const reason = body?.reason
        return manage(request, principal, id, "suspendKey", reason === undefined ? {} : { reason })
      }
    }),

    route({
      ...keyRoute,
      method: "POST",
      path: "/api/api-key/:id/resume",
      summary: "Resume a suspended key",
      access: { kind: "authenticated", permission: ADMINISTER },
      params: idParam,
      headers: ["If-Match", "Idempotency-Key"],
      responses: changeAnswers,
      handler: ({ request, params: { id }, principal }) => manage(request, principal, id, "resumeKey", {})
    })
  ]
}
