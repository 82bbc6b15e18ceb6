import { Effect, Schema } from "effect"
import { json, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { API_KEY_CATEGORY, commandOf, isDomainName, USER_CATEGORY, widestScope, scopeRank, type KnownCommandType, type Membership, type PayloadOf } from "@machhub/core"
import { makeApiKeysReadModel, type UserRow } from "@machhub/projections"
import { missingPermission, render } from "../api/refusals.js"
import { anyCaller, body, error, ok, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import { actorOf, type Principal } from "../auth/Principal.js"
import { accountActionRefusal, USERS_ADMIN, type AccountAction } from "../identity/accountReach.js"
import { makeUserManagement } from "../identity/userManagement.js"
import { profileFrom, ProfileFields } from "../identity/userProfile.js"
import { userView } from "../identity/userView.js"
import type { ServerContext } from "../ServerContext.js"
import { passwordProblem as passwordCheck } from "../identity/passwordPolicy.js"
import { mutationHeaders, respond, runCommand } from "./runCommand.js"
import { parseAsOf } from "../audit/asOf.js"
import { userAsOf } from "../audit/userAsOf.js"
import { AsOfQuery, UserView } from "./schemas.js"

const GroupNames = Schema.Array(Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(64))).check(Schema.isMaxLength(64))
const Role = Schema.Literals(["admin", "user"])
const AccessList = Schema.Array(Schema.Literals(["read", "write"])).check(Schema.isMaxLength(2))

const CreateUser = Schema.Struct({
  username: Schema.String.check(Schema.isMaxLength(256)),
  password: Schema.String.check(Schema.isMaxLength(4096)),
  groups: Schema.optional(GroupNames),
  role: Schema.optional(Role),
  access: Schema.optional(AccessList),
  ...ProfileFields
})
const PatchMembership = Schema.Struct({
  groups: Schema.optional(GroupNames),
  role: Schema.optional(Role),
  access: Schema.optional(AccessList)
})
const NewPassword = Schema.Struct({ password: Schema.String.check(Schema.isMaxLength(4096)) })
const UserChanged = Schema.Struct({ success: Schema.Literal(true), user: UserView })

export const membershipOf = (domain: string, body: { groups?: ReadonlyArray<string>; role?: "admin" | "user"; access?: ReadonlyArray<"read" | "write"> }, base?: Membership): Membership => {
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
export const userRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const apiKeys = makeApiKeysReadModel(context.readModels)
  const users = makeUserManagement(context)
  const notFound = (id: string) => text(404, `No user ${id.slice(0, 100)} in this domain`)

  /** The target user if it is visible from the caller's domain. */
  const target = users.inActiveDomain

  /** 403 unless the caller may do `action` to `user` in every domain it reaches (identity/accountReach.ts). */
  const refusal = (principal: Principal, user: UserRow, action: AccountAction, domain?: string): HttpResponse | undefined => {
    const message = accountActionRefusal(context, principal, user, action, domain)
    return message === undefined ? undefined : text(403, message)
  }

  const userCommand = <T extends KnownCommandType>(request: HttpRequest, principal: Principal, user: UserRow, type: T, payload: PayloadOf<T>) =>
    respond(
      runCommand(context, {
        ...commandOf(type, payload),
        category: USER_CATEGORY,
        domain: user.homeDomain,
        aggregateId: user.userId,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => {
        const after = context.users.findById(user.userId) ?? user
        return json(200, { success: true, user: userView(after, principal.domain) }, mutationHeaders(reply))
      }))
    )

  const idParam = { id: "The user's id" } as const

  return [
    route({
      method: "POST",
      path: "/api/users",
      tag: "identity",
      summary: "Create a user, member of the active domain, optionally with a profile",
      access: requires("users", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(CreateUser),
      responses: {
        201: ok("Created", Schema.Struct({ success: Schema.Literal(true), id: Schema.String, user: UserView })),
        400: error("A profile field is malformed (the message names it)"),
        403: error("Granting groups or a role the caller may not assign"),
        409: error("The username is taken"),
        422: error("The username or password breaks a rule, or a group does not exist")
      },
      handler: ({ request, principal, body }) => {
        const profile = profileFrom(body)
        if (!profile.ok) return text(400, profile.message)
        return respond(
          users.createMember(principal, request, {
            username: body.username,
            password: body.password,
            membership: membershipOf(principal.domain, body),
            profile: profile.profile
          }).pipe(Effect.map(({ reply, user: created }) =>
            json(201, { success: true, id: created?.userId, user: created && userView(created, principal.domain) }, mutationHeaders(reply))))
        )
      }
    }),

    route({
      method: "GET",
      path: "/api/users",
      tag: "identity",
      summary: "Users of the active domain (only the caller at scope self)",
      access: requires("users", "read", "self"),
      responses: { 200: ok("The users", Schema.Array(UserView)) },
      handler: ({ principal }) => json(200, users.readable(principal).map((u) => userView(u, principal.domain)))
    }),

    route({
      method: "GET",
      path: "/api/users/:id",
      tag: "identity",
      summary: "One user of the active domain, now or as of a past moment",
      access: requires("users", "read", "self"),
      params: idParam,
      query: AsOfQuery,
      responses: { 200: ok("The user", UserView), 400: error("asOf is malformed"), 404: error("No such user in this domain") },
      handler: ({ request, params: { id }, principal }) => {
        const asOf = parseAsOf(request)
        if (!asOf.ok) return asOf.response
        const user = users.readableOne(principal, id)
        if (user === undefined) return notFound(id)
        // ?asOf=: the user as the user aggregate knew it then (SPEC §10).
        if (asOf.asOf !== undefined) return userAsOf(context.store, user, principal.domain, asOf.asOf)
        return json(200, userView(user, principal.domain))
      }
    }),

    route({
      method: "PATCH",
      path: "/api/users/:id",
      tag: "identity",
      summary: "Change a user's membership of the active domain (groups, role, access)",
      access: requires("users", "read-write", "domain"),
      params: idParam,
      headers: ["Idempotency-Key"],
      body: body(PatchMembership, "At least one of groups, role, access"),
      responses: {
        200: ok("Changed", UserChanged),
        403: error("The caller may not manage this user or grant these groups"),
        404: error("No such user in this domain"),
        422: error("A group does not exist")
      },
      handler: ({ request, params: { id }, principal, body }) => {
        if (body.groups === undefined && body.role === undefined && body.access === undefined) {
          return text(400, "Send at least one of groups, role, access")
        }
        return respond(
          users.setMembership(principal, request, id, (current) => membershipOf(principal.domain, body, current)).pipe(
            Effect.map(({ reply, user }) =>
              json(200, { success: true, user: userView(user, principal.domain) }, reply === undefined ? {} : mutationHeaders(reply)))
          )
        )
      }
    }),

    ...([["disable", "disableUser"], ["enable", "enableUser"]] as const).map(([action, type]) =>
      route({
        method: "POST",
        path: `/api/users/:id/${action}`,
        tag: "identity",
        summary: `${action === "disable" ? "Disable" : "Enable"} a user (every domain it belongs to)`,
        access: requires("users", "read-write", "domain"),
        params: idParam,
        headers: ["Idempotency-Key"],
        responses: {
          200: ok(action === "disable" ? "Disabled: its tokens and keys stop working at once" : "Enabled", UserChanged),
          403: error("The caller may not manage this user in every domain it belongs to"),
          404: error("No such user in this domain")
        },
        handler: ({ request, params: { id }, principal }) => {
          const user = target(principal, id)
          if (user === undefined) return notFound(id)
          const refused = refusal(principal, user, action)
          if (refused !== undefined) return refused
          return userCommand(request, principal, user, type, {})
        }
      })),

    route({
      method: "POST",
      path: "/api/users/:id/password",
      tag: "identity",
      summary: "Change a user's password (one's own, or another's with users:read-write:domain)",
      access: anyCaller,
      params: idParam,
      headers: ["Idempotency-Key"],
      body: body(NewPassword),
      responses: {
        200: ok("Changed: the user's earlier tokens stop working", Schema.Struct({ success: Schema.Literal(true) })),
        403: error("Missing permission to change another user's password"),
        404: error("No such user in this domain"),
        422: error("The password breaks the password rule")
      },
      handler: ({ request, params: { id }, principal, body }) => {
        const own = principal.kind === "user" && principal.userId === id
        const user = own ? context.users.findById(id) : target(principal, id)
        if (user === undefined) return notFound(id)
        if (!own) {
          const scope = widestScope(principal.permissions, "users", "read-write", principal.superuser)
          if (scopeRank(scope) < scopeRank("domain")) return render("text", missingPermission(USERS_ADMIN, principal.domain))
          const refused = refusal(principal, user, "changePassword")
          if (refused !== undefined) return refused
        }
        const problem = passwordCheck(body.password, user.username)
        if (problem !== undefined) return text(422, problem)
        return respond(
          context.passwords.hash(body.password).pipe(
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
      }
    }),

    /**
     * The user leaves `<domain>` (a membership action: the caller needs users:read-write:domain in
     * that domain, and like every user route in the active one, where the user must be visible). The
     * home domain (the account's own) cannot be left: 409, disable the user instead. From the next
     * request on, the user's tokens are refused in that domain (membership is read on every request)
     * and keep working in their other domains; their sessions are not ended, since a session's tokens
     * serve all of the user's domains. The API keys they issued in that domain are revoked, so that
     * giving the membership back later does not bring old keys back.
     */
    route({
      method: "DELETE",
      path: "/api/users/:id/domains/:domain",
      tag: "identity",
      summary: "Remove a user from a domain, revoking the API keys it issued there",
      access: { kind: "authenticated", permission: USERS_ADMIN },
      params: { id: "The user's id", domain: "The domain to leave (acme or domains:acme)" },
      headers: ["Idempotency-Key"],
      responses: {
        200: ok("Removed", Schema.Struct({
          success: Schema.Literal(true),
          id: Schema.String,
          domain: Schema.String,
          removed: Schema.Literal(true),
          revokedKeys: Schema.Array(Schema.String)
        })),
        400: error("The domain in the path is not a domain name"),
        403: error("The caller may not manage this user's membership of that domain"),
        404: error("No such user, or not a member of that domain"),
        409: error("The user's home domain cannot be left")
      },
      handler: ({ request, params, principal }) => {
        const { id, domain: named } = params
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
      }
    })
  ]
}
