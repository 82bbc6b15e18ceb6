import { Effect } from "effect"
import type { HttpRequest } from "@machhub/adapters"
import {
  CommandRejected,
  scopeRank,
  USER_CATEGORY,
  widestScope,
  type CommandError,
  type CommandReply,
  type Membership,
  type UserProfile
} from "@machhub/core"
import type { UserRow } from "@machhub/projections"
import { actorOf, type Principal } from "../auth/Principal.js"
import { runCommand } from "../routes/runCommand.js"
import type { ServerContext } from "../ServerContext.js"
import { accountActionRefusal } from "./accountReach.js"
import { membershipProblem } from "./assignable.js"
import { createUser } from "./createUser.js"

/**
 * What the user routes do, stated once for both surfaces that expose it: the management routes
 * (`/api/users…`) and the MACHHUB SDK's (`/auth/user…`, `/auth/group/<g>/user/<u>`, also under
 * `/machhub`). Each surface only renders the outcome its own way, so the permission rules (SPEC §3,
 * identity/accountReach.ts) cannot drift apart. Refusals are `CommandRejected`, answered by their
 * reason's status like any command's.
 */
export const makeUserManagement = (context: ServerContext) => {
  const notFound = (id: string) => new CommandRejected({ reason: "not_found", message: `No user ${id.slice(0, 100)} in this domain` })

  /** The user if it is a member of the caller's active domain: another domain's user is "not found", never "forbidden". */
  const inActiveDomain = (principal: Principal, id: string): UserRow | undefined => {
    const user = context.users.findById(id)
    return user === undefined || !user.memberships.some((m) => m.domain === principal.domain) ? undefined : user
  }

  /** At scope `self` (users:read:self) a caller reads only its own account; from `domain` on, every member. */
  const readsEveryone = (principal: Principal) =>
    scopeRank(widestScope(principal.permissions, "users", "read", principal.superuser)) >= scopeRank("domain")

  return {
    inActiveDomain,

    /** The members of the active domain the caller may read. */
    readable: (principal: Principal): Array<UserRow> => {
      const members = context.users.listInDomain(principal.domain)
      return readsEveryone(principal) ? members : members.filter((u) => u.userId === principal.userId)
    },

    /** One member of the active domain if the caller may read it, else undefined (answered 404). */
    readableOne: (principal: Principal, id: string): UserRow | undefined => {
      const user = inActiveDomain(principal, id)
      return user !== undefined && (readsEveryone(principal) || user.userId === principal.userId) ? user : undefined
    },

    /**
     * Creates a user whose home is the active domain, with `membership` there: every group must exist
     * and the caller may give no more than it holds (identity/assignable.ts).
     */
    createMember: (
      principal: Principal,
      request: HttpRequest,
      input: { readonly username: string; readonly password: string; readonly membership: Membership; readonly profile: UserProfile }
    ): Effect.Effect<{ readonly reply: CommandReply; readonly user: UserRow | undefined }, CommandError> => {
      const problem = membershipProblem(principal, input.membership, context.groups)
      if (problem !== undefined) {
        return Effect.fail(new CommandRejected({ reason: problem.status === 403 ? "forbidden" : "unprocessable", message: problem.message }))
      }
      return createUser(context, {
        username: input.username,
        password: input.password,
        homeDomain: principal.domain,
        membership: input.membership,
        profile: input.profile,
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => ({ reply, user: context.users.findByUsername(input.username) })))
    },

    /**
     * Changes a user's membership of the active domain (groups, role, access) to what `change` makes of
     * the current one. A global superuser may add a user of any domain to the active one; others manage
     * the active domain's members. `change` answers undefined when there is nothing to change (e.g. the
     * user is already in the group); then no command is sent and `reply` is undefined. The caller's
     * right to manage the user is checked either way.
     */
    setMembership: (
      principal: Principal,
      request: HttpRequest,
      id: string,
      change: (current: Membership | undefined) => Membership | undefined
    ): Effect.Effect<{ readonly reply: CommandReply | undefined; readonly user: UserRow }, CommandError> => {
      const user = principal.globalSuperuser ? context.users.findById(id) : inActiveDomain(principal, id)
      if (user === undefined) return Effect.fail(notFound(id))
      const refused = accountActionRefusal(context, principal, user, "setMembership")
      if (refused !== undefined) return Effect.fail(new CommandRejected({ reason: "forbidden", message: refused }))
      const current = user.memberships.find((m) => m.domain === principal.domain)
      const membership = change(current)
      if (membership === undefined) return Effect.succeed({ reply: undefined, user })
      const problem = membershipProblem(principal, membership, context.groups)
      if (problem !== undefined) {
        return Effect.fail(new CommandRejected({ reason: problem.status === 403 ? "forbidden" : "unprocessable", message: problem.message }))
      }
      return runCommand(context, {
        type: "setMembership",
        category: USER_CATEGORY,
        domain: user.homeDomain,
        aggregateId: user.userId,
        payload: { membership },
        actor: actorOf(principal),
        correlationId: request.correlationId,
        idempotencyKey: request.headers["idempotency-key"]
      }).pipe(Effect.map((reply) => ({ reply, user: context.users.findById(user.userId) ?? user })))
    }
  }
}

export type UserManagement = ReturnType<typeof makeUserManagement>
