import { Effect, Schema } from "effect"
import { json, text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { allowedActions, isAction, isAllowed, isFeatureName, isScope, normalizePermissions, permissionKey, SUPERUSER_GROUP, type Permission } from "@machhub/core"
import type { GroupRow, UserRow } from "@machhub/projections"
import { anyCaller, body, error, ok, publicRoute, requires, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { Authentication } from "../auth/Authenticator.js"
import { isRefusal, type Principal } from "../auth/Principal.js"
import { API_KEY_PREFIX } from "../auth/readCredential.js"
import { makeGroupManagement, type RawPermission } from "../identity/groupManagement.js"
import { makeUserManagement } from "../identity/userManagement.js"
import { profileFrom, ProfileFields } from "../identity/userProfile.js"
import { userView } from "../identity/userView.js"
import type { ServerContext } from "../ServerContext.js"
import { mutationHeaders, respond } from "./runCommand.js"
import { PermissionView, UserView } from "./schemas.js"

/**
 * The auth routes of the MACHHUB TypeScript SDK (SPEC §6a): its `sdk.auth` calls go to
 * `<url>/machhub/auth/…`, and MACHHUB itself answers them under `/auth/…` too, so every route here is
 * declared under both prefixes. They are the management routes' rules in the SDK's shapes: users and
 * groups through identity/userManagement.ts and identity/groupManagement.ts, the same permissions
 * (users, groups: read to list, read-write domain to change) and the same cross-domain account rule.
 *
 * Identifiers: a group is named by its name (the domain's groups are keyed by name, as in
 * /api/groups/<name>), so a group's `id` is its name; a user by its id. Paths also take MACHHUB's
 * record-id forms `groups:<name>` and `users:<id>`, the strings the SDK's RecordIDToString makes.
 */

const PREFIXES = ["/auth", "/machhub/auth"] as const
type Prefix = (typeof PREFIXES)[number]

const Feature = Schema.Struct({ name: Schema.String, action: Schema.String, scope: Schema.String })
const Features = Schema.Array(Feature).check(Schema.isMaxLength(200))
const FeatureView = Schema.Struct({ name: Schema.String, action: Schema.String, scope: Schema.String })
const GroupView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  features: Schema.Array(Schema.Struct({ name: Schema.String, action: Schema.String, scope: Schema.String, domain: Schema.String })),
  user_ids: Schema.Array(Schema.String),
  version: Schema.Number
}).annotate({ identifier: "SdkGroup", description: "A group as the MACHHUB SDK reads it: id (its name), features and the ids of its members" })
const SdkUser = UserView.mapFields((fields) => ({ ...fields, group_ids: Schema.Array(Schema.String) }))
  .annotate({ identifier: "SdkUser", description: "A user as the MACHHUB SDK reads it: the user view with group_ids (the names of its groups in the active domain)" })
const Me = SdkUser.mapFields((fields) => ({
  ...fields,
  kind: Schema.Literals(["user", "key"]),
  keyId: Schema.optional(Schema.String),
  superuser: Schema.Boolean,
  permissions: Schema.Array(PermissionView)
}))

const CreateUser = Schema.Struct({
  username: Schema.String.check(Schema.isMaxLength(256)),
  password: Schema.String.check(Schema.isMaxLength(4096)),
  ...ProfileFields
})
const CreateGroup = Schema.Struct({ name: Schema.String.check(Schema.isMaxLength(200)), features: Schema.optional(Features) })
const AddPermissions = Schema.Struct({ group_id: Schema.String.check(Schema.isMaxLength(200)), permissions: Features })
const Token = Schema.Struct({ token: Schema.String.check(Schema.isMaxLength(8192)) })

/** `groups:<name>` / `users:<id>` (MACHHUB record ids) name the same group or user as `<name>` / `<id>`. */
const withoutTable = (table: string, id: string) => (id.startsWith(`${table}:`) ? id.slice(table.length + 1) : id)

const fromFeatures = (features: ReadonlyArray<typeof Feature.Type>): Array<RawPermission> =>
  features.map((f) => ({ feature: f.name, action: f.action, scope: f.scope }))
const sdkLabel = (list: string) => (index: number, field: keyof RawPermission) => `${list}[${index}].${field === "feature" ? "name" : field}`
const asFeature = (p: Permission) => ({ name: p.feature, action: p.action, scope: p.scope })

/** What the caller may do on `feature` at `scope`; nothing on a feature, scope or action that cannot exist. */
const actionsOf = (principal: Principal, feature: string, scope: string): Array<string> =>
  isFeatureName(feature) && isScope(scope) ? allowedActions(principal.permissions, feature, scope, principal.superuser) : []
const mayDo = (principal: Principal, feature: string, action: string, scope: string): boolean =>
  isFeatureName(feature) && isAction(action) && isScope(scope) && isAllowed(principal.permissions, { feature, action, scope }, principal.superuser)

export const machhubAuthRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const users = makeUserManagement(context)
  const groups = makeGroupManagement(context)

  const sdkUser = (user: UserRow, domain: string) => {
    const view = userView(user, domain)
    return { ...view, group_ids: view.groups }
  }

  const sdkGroups = (domain: string, rows: ReadonlyArray<GroupRow>) => {
    const members = context.users.listInDomain(domain)
    return rows.map((group) => ({
      id: group.name,
      name: group.name,
      features: group.permissions.map((p) => ({ ...asFeature(p), domain })),
      user_ids: members.filter((u) => u.memberships.some((m) => m.domain === domain && m.groups.includes(group.name))).map((u) => u.userId),
      version: group.version
    }))
  }

  /** A token is valid when a protected route would take it: whether the user may act in a given domain is another question. */
  const validity = (outcome: Authentication): HttpResponse =>
    json(200, { success: true, valid: !isRefusal(outcome) || outcome.status === 403 })

  const validate = (request: HttpRequest, token: string): HttpResponse | Promise<HttpResponse> => {
    // This route judges session tokens; an API key is not one (and checking it would count against its rate).
    if (token.startsWith(API_KEY_PREFIX)) return json(200, { success: true, valid: false })
    // The authenticator's own checks (signature, alg, iss, aud, exp, use, user enabled, password and
    // session not changed since), asked without a Domain header: only non-membership is then a 403.
    const outcome = context.authenticator.authenticate({ ...request, headers: { authorization: `Bearer ${token}` } })
    return outcome instanceof Promise ? outcome.then(validity) : validity(outcome)
  }

  const me = (principal: Principal) => {
    const user = context.users.findById(principal.userId)
    const view = user === undefined
      ? { id: principal.userId, username: principal.username, domain: principal.domain, groups: principal.groups, group_ids: principal.groups }
      : sdkUser(user, principal.domain)
    return json(200, {
      ...view,
      kind: principal.kind,
      ...(principal.kind === "key" ? { keyId: principal.id } : {}),
      superuser: principal.superuser,
      permissions: normalizePermissions(principal.permissions)
    })
  }

  const featureParam = "A feature name, e.g. collections (one that cannot exist answers no access)"
  const scopeParam = "nil, self, domain or all (another answers no access)"
  const Actions = Schema.Struct({ success: Schema.Literal(true), actions: Schema.Array(Schema.String) })
  const Check = Schema.Struct({ success: Schema.Literal(true), permission: Schema.Boolean })

  const routesUnder = (prefix: Prefix): ReadonlyArray<AnyRoute> => [
    route({
      method: "POST",
      path: `${prefix}/jwt/validate`,
      tag: "identity",
      summary: "Whether a login token is still good (MACHHUB SDK validateJWT)",
      description: "Valid when a protected route would accept it: signature, algorithm, issuer, audience, expiry, and its user still enabled with " +
        "the same password and session. Always 200; invalid tokens answer valid: false.",
      access: publicRoute,
      body: body(Token),
      responses: { 200: ok("The verdict", Schema.Struct({ success: Schema.Literal(true), valid: Schema.Boolean })) },
      handler: ({ request, body: { token } }) => validate(request, token)
    }),

    route({
      method: "GET",
      path: `${prefix}/me`,
      tag: "identity",
      summary: "The caller: its user (profile, groups, domains) and its permissions in the active domain (MACHHUB SDK getCurrentUser)",
      description: "For an API key: its issuer, with kind key and keyId.",
      access: anyCaller,
      responses: { 200: ok("The caller", Me) },
      handler: ({ principal }) => me(principal)
    }),

    route({
      method: "GET",
      path: `${prefix}/permission/action/feature/:feature/scope/:scope`,
      tag: "identity",
      summary: "The actions the caller may take on a feature at a scope (MACHHUB SDK checkAction)",
      description: "Always 200 for an authenticated caller: actions [] means no access.",
      access: anyCaller,
      params: { feature: featureParam, scope: scopeParam },
      responses: { 200: ok("The allowed actions", Actions) },
      handler: ({ params: { feature, scope }, principal }) => json(200, { success: true, actions: actionsOf(principal, feature, scope) })
    }),

    route({
      method: "GET",
      path: `${prefix}/permission/action/feature/:feature`,
      tag: "identity",
      summary: "The actions the caller may take on a feature in the whole active domain (scope domain)",
      access: anyCaller,
      params: { feature: featureParam },
      responses: { 200: ok("The allowed actions", Actions) },
      handler: ({ params: { feature }, principal }) => json(200, { success: true, actions: actionsOf(principal, feature, "domain") })
    }),

    route({
      method: "GET",
      path: `${prefix}/permission/check/feature/:feature/scope/:scope/action/:action`,
      tag: "identity",
      summary: "Whether the caller holds feature:action at a scope (MACHHUB SDK checkPermission)",
      access: anyCaller,
      params: { feature: featureParam, scope: scopeParam, action: "read or read-write (another answers false)" },
      responses: { 200: ok("The verdict", Check) },
      handler: ({ params: { feature, scope, action }, principal }) => json(200, { success: true, permission: mayDo(principal, feature, action, scope) })
    }),

    route({
      method: "GET",
      path: `${prefix}/permission/check/feature/:feature/action/:action`,
      tag: "identity",
      summary: "Whether the caller holds feature:action in the whole active domain (scope domain)",
      access: anyCaller,
      params: { feature: featureParam, action: "read or read-write (another answers false)" },
      responses: { 200: ok("The verdict", Check) },
      handler: ({ params: { feature, action }, principal }) => json(200, { success: true, permission: mayDo(principal, feature, action, "domain") })
    }),

    route({
      method: "GET",
      path: `${prefix}/user`,
      tag: "identity",
      summary: "Users of the active domain (only the caller at scope self), as GET /api/users (MACHHUB SDK getUsers)",
      access: requires("users", "read", "self"),
      responses: { 200: ok("The users", Schema.Array(SdkUser)) },
      handler: ({ principal }) => json(200, users.readable(principal).map((u) => sdkUser(u, principal.domain)))
    }),

    route({
      method: "GET",
      path: `${prefix}/user/:id`,
      tag: "identity",
      summary: "One user of the active domain, as GET /api/users/<id> (MACHHUB SDK getUserById)",
      access: requires("users", "read", "self"),
      params: { id: "The user's id (or users:<id>)" },
      responses: { 200: ok("The user", SdkUser), 404: error("No such user in this domain") },
      handler: ({ params, principal }) => {
        const id = withoutTable("users", params.id)
        const user = users.readableOne(principal, id)
        return user === undefined ? text(404, `No user ${id.slice(0, 100)} in this domain`) : json(200, sdkUser(user, principal.domain))
      }
    }),

    route({
      method: "POST",
      path: `${prefix}/user`,
      tag: "identity",
      summary: "Create a user of the active domain with a profile, as POST /api/users (MACHHUB SDK createUser)",
      description: "The new user belongs to no group yet (add one with POST group/<group>/user/<user>). firstName, lastName, email, number " +
        "and userImage are optional; null or an empty string means not given.",
      access: requires("users", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(CreateUser),
      responses: {
        201: ok("Created: the user", SdkUser),
        400: error("A profile field is malformed (the message names it)"),
        409: error("The username is taken"),
        422: error("The username or password breaks a rule")
      },
      handler: ({ request, principal, body }) => {
        const profile = profileFrom(body)
        if (!profile.ok) return text(400, profile.message)
        return respond(
          users.createMember(principal, request, {
            username: body.username,
            password: body.password,
            membership: { domain: principal.domain, groups: [] },
            profile: profile.profile
          }).pipe(Effect.map(({ reply, user }) => json(201, user === undefined ? {} : sdkUser(user, principal.domain), mutationHeaders(reply))))
        )
      }
    }),

    route({
      method: "GET",
      path: `${prefix}/group`,
      tag: "identity",
      summary: "Groups of the active domain with their features and members (MACHHUB SDK getGroups)",
      access: requires("groups", "read", "domain"),
      responses: { 200: ok("The groups", Schema.Array(GroupView)) },
      handler: ({ principal }) => json(200, sdkGroups(principal.domain, context.groups.list(principal.domain)))
    }),

    route({
      method: "POST",
      path: `${prefix}/group`,
      tag: "identity",
      summary: "Create a group of the active domain, as POST /api/groups (MACHHUB SDK createGroup)",
      description: "features: [{ name, action, scope }], name being the feature. The group's name is 1 to 64 lower-case letters, digits, _ or -; " +
        "superuser is built in and cannot be created.",
      access: requires("groups", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(CreateGroup),
      responses: {
        201: ok("Created: the group", GroupView),
        403: error("Granting permissions the caller does not hold, or naming the group superuser"),
        409: error("The group exists"),
        422: error("The name or a feature is malformed")
      },
      handler: ({ request, principal, body }) =>
        respond(groups.create(principal, request, body.name, fromFeatures(body.features ?? []), sdkLabel("features")).pipe(
          Effect.map(({ reply, group }) => json(201, group === undefined ? {} : sdkGroups(principal.domain, [group])[0], mutationHeaders(reply)))
        ))
    }),

    route({
      method: "POST",
      path: `${prefix}/group/:gid/user/:uid`,
      tag: "identity",
      summary: "Add a user to a group of the active domain, as PATCH /api/users/<id> with the group added (MACHHUB SDK addUserToGroup)",
      description: "Already in the group: answered 200 without a change.",
      access: requires("users", "read-write", "domain"),
      params: { gid: "The group's name (or groups:<name>)", uid: "The user's id (or users:<id>)" },
      headers: ["Idempotency-Key"],
      responses: {
        200: ok("The user is in the group", Schema.Struct({ success: Schema.Literal(true), user: SdkUser })),
        403: error("The caller may not manage this user, or may not give this group's permissions"),
        404: error("No such group or user in this domain")
      },
      handler: ({ request, params, principal }) => {
        const gid = withoutTable("groups", params.gid)
        const uid = withoutTable("users", params.uid)
        if (gid !== SUPERUSER_GROUP && groups.find(principal, gid) === undefined) {
          return text(404, `No group ${gid.slice(0, 64)} in domain ${principal.domain}`)
        }
        return respond(
          users.setMembership(principal, request, uid, (current) =>
            current?.groups.includes(gid) === true ? undefined : { ...(current ?? { domain: principal.domain }), groups: [...(current?.groups ?? []), gid] }).pipe(
              Effect.map(({ reply, user }) =>
                json(200, { success: true, user: sdkUser(user, principal.domain) }, reply === undefined ? {} : mutationHeaders(reply)))
            )
        )
      }
    }),

    route({
      method: "POST",
      path: `${prefix}/permission`,
      tag: "identity",
      summary: "Grant permissions to a group of the active domain, as POST /api/groups/<name>/permissions (MACHHUB SDK addPermissionsToGroup)",
      description: "group_id is the group's name (or groups:<name>); permissions: [{ name, action, scope }]. Grants already held change nothing, " +
        "so repeating the request is harmless.",
      access: requires("groups", "read-write", "domain"),
      headers: ["Idempotency-Key"],
      body: body(AddPermissions),
      responses: {
        200: ok("Granted", Schema.Struct({ success: Schema.Literal(true), group: Schema.optional(GroupView) })),
        403: error("Granting a permission the caller does not hold"),
        404: error("No such group"),
        422: error("A permission is malformed")
      },
      handler: ({ request, principal, body }) =>
        respond(groups.change(principal, request, withoutTable("groups", body.group_id), "grantPermission", fromFeatures(body.permissions), sdkLabel("permissions")).pipe(
          Effect.map(({ replies, group }) => {
            const last = replies[replies.length - 1]
            return json(200, { success: true, ...(group === undefined ? {} : { group: sdkGroups(principal.domain, [group])[0] }) }, last === undefined ? {} : mutationHeaders(last))
          })
        ))
    }),

    route({
      method: "GET",
      path: `${prefix}/permission`,
      tag: "identity",
      summary: "Every permission the groups of the active domain grant (MACHHUB SDK getPermissions)",
      access: requires("groups", "read", "domain"),
      responses: { 200: ok("The permissions", Schema.Struct({ success: Schema.Literal(true), permissions: Schema.Array(FeatureView) })) },
      handler: ({ principal }) => {
        const all = new Map<string, Permission>()
        for (const group of context.groups.list(principal.domain)) for (const p of group.permissions) all.set(permissionKey(p), p)
        return json(200, { success: true, permissions: [...all.keys()].sort().map((key) => asFeature(all.get(key)!)) })
      }
    })
  ]

  return PREFIXES.flatMap(routesUnder)
}
