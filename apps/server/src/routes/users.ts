import { Effect, Schema } from "effect"
import { json, text, type HttpRequest, type HttpResponse, type Router } from "@machhub/adapters"
import { API_KEY_CATEGORY, isDomainName, USER_CATEGORY, widestScope, scopeRank, type Membership } from "@machhub/core"
import { makeApiKeysReadModel, type UserRow } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { protect } from "../auth/protect.js"
import { accountActionRefusal, USERS_ADMIN, type AccountAction } from "../identity/accountReach.js"
import { membershipProblem } from "../identity/assignable.js"
import { createUser } from "../identity/createUser.js"
import { userView } from "../identity/userView.js"
import type { ServerContext } from "../ServerContext.js"
import { decodeBody } from "./decodeBody.js"
import { passwordProblem as passwordCheck } from "../identity/passwordPolicy.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"
import { parseAsOf } from "../audit/asOf.js"
import { userAsOf } from "../audit/userAsOf.js"

const GroupNames = Schema.Array(Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(64))).check(Schema.isMaxLength(64))
const Role = Schema.Literals(["admin", "user"])
const AccessList = Schema.Array(Schema.Literals(["read", "write"])).check(Schema.isMaxLength(2))

const readCreate = decodeBody(Schema.Struct({
  username: Schema.String.check(Schema.isMaxLength(256)),
  password: Schema.String.check(Schema.isMaxLength(4096)),
  groups: Schema.optional(GroupNames),
  role: Schema.optional(Role),
  access: Schema.optional(AccessList)
}))
const readPatch = decodeBody(Schema.Struct({
  groups: Schema.optional(GroupNames),
  role: Schema.optional(Role),
  access: Schema.optional(AccessList)
}))
const readPassword = decodeBody(Schema.Struct({ password: Schema.String.check(Schema.isMaxLength(4096)) }))

const membershipOf = (domain: string, body: { groups?: ReadonlyArray<string>; role?: "admin" | "user"; access?: ReadonlyArray<"read" | "write"> }, base?: Membership): Membership => {
  const role = body.role ?? base?.role
  const access = body.access ?? base?.access
  return {
    domain,
    groups: [...new Set(body.groups ?? base?.groups ?? [])],
    ...(role === undefined ? {} : { role }),
    ...(access === undefined ? {} : { access: [...new Set(access)] })
  }
}

/** Users of the active domain (SPEC §5). Another domain's user is "not found", never "forbidden". */
export const userRoutes = (router: Router, context: ServerContext): void => {
  const auth = context.authenticator
  const apiKeys = makeApiKeysReadModel(context.readModels)
  const notFound = (id: string) => text(404, `No user ${id.slice(0, 100)} in this domain`)

  /** The target user if it is visible from the caller's domain. */
  const target = (principal: Principal, id: string): UserRow | undefined => {
    const user = context.users.findById(id)
    if (user === undefined || !user.memberships.some((m) => m.domain === principal.domain)) return undefined
    return user
  }

  /** 403 unless the caller may do `action` to `user` in every domain it reaches (identity/accountReach.ts). */
  const refusal = (principal: Principal, user: UserRow, action: AccountAction, domain?: string): HttpResponse | undefined => {
    const message = accountActionRefusal(context, principal, user, action, domain)
    return message === undefined ? undefined : text(403, message)
  }

  const userCommand = (request: HttpRequest, principal: Principal, user: UserRow, type: string, payload: unknown) =>
    respond(
      runCommand(context, {
        type,
        category: USER_CATEGORY,
        domain: user.homeDomain,
        aggregateId: user.userId,
        payload,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => {
        const after = context.users.findById(user.userId) ?? user
        return json(200, { success: true, user: userView(after, principal.domain) }, mutationHeaders(reply))
      }))
    )

  router.add("POST", "/api/users", protect(auth, { feature: "users", action: "read-write", scope: "domain" }, (request, principal) => {
    const body = readCreate(request)
    if (!body.ok) return body.response
    const membership = membershipOf(principal.domain, body.value)
    const problem = membershipProblem(principal, membership, context.groups)
    if (problem !== undefined) return text(problem.status, problem.message)
    return respond(
      createUser(context, {
        username: body.value.username,
        password: body.value.password,
        homeDomain: principal.domain,
        membership,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => {
        const created = context.users.findByUsername(body.value.username)
        return json(201, { success: true, id: created?.userId, user: created && userView(created, principal.domain) }, mutationHeaders(reply))
      }))
    )
  }))

  router.add("GET", "/api/users", protect(auth, { feature: "users", action: "read", scope: "self" }, (_, principal) => {
    const scope = widestScope(principal.permissions, "users", "read", principal.superuser)
    const visible = scopeRank(scope) >= scopeRank("domain")
      ? context.users.listInDomain(principal.domain)
      : context.users.listInDomain(principal.domain).filter((u) => u.userId === principal.userId)
    return json(200, visible.map((u) => userView(u, principal.domain)))
  }))

  router.add("GET", "/api/users/:id", protect(auth, { feature: "users", action: "read", scope: "self" }, (request, principal) => {
    const asOf = parseAsOf(request)
    if (!asOf.ok) return asOf.response
    const id = request.params["id"]!
    const user = target(principal, id)
    const scope = widestScope(principal.permissions, "users", "read", principal.superuser)
    if (user === undefined || (scopeRank(scope) < scopeRank("domain") && user.userId !== principal.userId)) return notFound(id)
    // ?asOf=: the user as the user aggregate knew it then (SPEC §10).
    if (asOf.asOf !== undefined) return userAsOf(context.store, user, principal.domain, asOf.asOf)
    return json(200, userView(user, principal.domain))
  }))

  router.add("PATCH", "/api/users/:id", protect(auth, { feature: "users", action: "read-write", scope: "domain" }, (request, principal) => {
    const id = request.params["id"]!
    const body = readPatch(request)
    if (!body.ok) return body.response
    if (body.value.groups === undefined && body.value.role === undefined && body.value.access === undefined) {
      return text(400, "Send at least one of groups, role, access")
    }
    // A global superuser may add a user of any domain to the active one; others manage their members.
    const user = principal.globalSuperuser ? context.users.findById(id) : target(principal, id)
    if (user === undefined) return notFound(id)
    const refused = refusal(principal, user, "setMembership")
    if (refused !== undefined) return refused
    const current = user.memberships.find((m) => m.domain === principal.domain)
    const membership = membershipOf(principal.domain, body.value, current)
    const problem = membershipProblem(principal, membership, context.groups)
    if (problem !== undefined) return text(problem.status, problem.message)
    return userCommand(request, principal, user, "setMembership", { membership })
  }))

  for (const [action, type] of [["disable", "disableUser"], ["enable", "enableUser"]] as const) {
    router.add("POST", `/api/users/:id/${action}`, protect(auth, { feature: "users", action: "read-write", scope: "domain" }, (request, principal) => {
      const id = request.params["id"]!
      const user = target(principal, id)
      if (user === undefined) return notFound(id)
      const refused = refusal(principal, user, action)
      if (refused !== undefined) return refused
      return userCommand(request, principal, user, type, {})
    }))
  }

  router.add("POST", "/api/users/:id/password", protect(auth, undefined, (request, principal) => {
    const id = request.params["id"]!
    const body = readPassword(request)
    if (!body.ok) return body.response
    const own = principal.kind === "user" && principal.userId === id
    const user = own ? context.users.findById(id) : target(principal, id)
    if (user === undefined) return notFound(id)
    if (!own) {
      const scope = widestScope(principal.permissions, "users", "read-write", principal.superuser)
      if (scopeRank(scope) < scopeRank("domain")) return text(403, `Missing permission users:read-write:domain in domain ${principal.domain}`)
      const refused = refusal(principal, user, "changePassword")
      if (refused !== undefined) return refused
    }
    const problem = passwordCheck(body.value.password, user.username)
    if (problem !== undefined) return text(422, problem)
    return respond(
      context.passwords.hash(body.value.password).pipe(
        Effect.flatMap((passwordHash) =>
          runCommand(context, {
            type: "changePassword",
            category: USER_CATEGORY,
            domain: user.homeDomain,
            aggregateId: user.userId,
            payload: { passwordHash },
            actor: actorOf(principal),
            correlationId: request.correlationId,
            idempotencyKey: request.headers["idempotency-key"]
          })),
        Effect.map((reply) => json(200, { success: true }, mutationHeaders(reply)))
      )
    )
  }))

  /**
   * `DELETE /api/users/<id>/domains/<domain>`: the user leaves `<domain>` (a membership action: the
   * caller needs users:read-write:domain in that domain, and like every user route in the active one,
   * where the user must be visible). The home domain (the account's own) cannot be left: 409,
   * disable the user instead. From the next request on, the user's tokens are refused in that domain
   * (membership is read on every request) and keep working in their other domains; their sessions are
   * not ended, since a session's tokens serve all of the user's domains. The API keys they issued in
   * that domain are revoked, so that giving the membership back later does not bring old keys back.
   */
  router.add("DELETE", "/api/users/:id/domains/:domain", protect(auth, USERS_ADMIN, (request, principal) => {
    const id = request.params["id"]!
    const named = request.params["domain"]!
    const domain = named.startsWith("domains:") ? named.slice("domains:".length) : named
    if (!isDomainName(domain)) return text(400, "The domain in the path must be a domain name such as acme (or domains:acme)")
    const user = principal.globalSuperuser ? context.users.findById(id) : target(principal, id)
    if (user === undefined) return notFound(id)
    const refused = refusal(principal, user, "removeMembership", domain)
    if (refused !== undefined) return refused
    if (!user.memberships.some((m) => m.domain === domain)) return text(404, `${user.username} is not a member of domain ${domain}`)
    const command = { actor: actorOf(principal), correlationId: request.correlationId }
    return respond(
      runCommand(context, {
        ...command,
        type: "removeMembership",
        category: USER_CATEGORY,
        domain: user.homeDomain,
        aggregateId: user.userId,
        payload: { domain },
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(
        Effect.flatMap((removed) => {
          const live = apiKeys.list(domain, user.userId).filter((key) => key.status !== "revoked")
          return Effect.forEach(live, (key) =>
            runCommand(context, { ...command, type: "revokeKey", category: API_KEY_CATEGORY, domain, aggregateId: key.keyId, payload: {} })).pipe(
              Effect.map((revoked) => {
                const position = Math.max(removed.position, ...revoked.map((reply) => reply.position))
                return json(200, { success: true, id: user.userId, domain, removed: true, revokedKeys: live.map((key) => key.keyId) }, {
                  ...mutationHeaders(removed),
                  "App-Event-Position": String(position)
                })
              })
            )
        })
      )
    )
  }))
}
