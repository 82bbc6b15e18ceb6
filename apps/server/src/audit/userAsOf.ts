import { Effect } from "effect"
import { json, text, type HttpResponse } from "@machhub/adapters"
import { streamName, USER_CATEGORY, userAggregate, type AsOf, type EventStoreService } from "@machhub/core"
import type { UserRow } from "@machhub/projections"
import { userView } from "../identity/userView.js"
import { answerAsOf, describeAsOf, stateAsOf } from "./asOf.js"

/** `GET /api/users/<id>?asOf=`: the user (memberships, disabled) as the user aggregate knew it then. */
export const userAsOf = (store: EventStoreService, user: UserRow, domain: string, asOf: AsOf): Promise<HttpResponse> =>
  answerAsOf(Effect.map(stateAsOf(store, streamName(USER_CATEGORY, user.homeDomain, user.userId), userAggregate, asOf), (found) => {
    if (found === undefined || found.state._tag === "Absent") return text(404, `No user ${user.userId} as of ${describeAsOf(asOf)}`)
    const state = found.state
    const then: UserRow = {
      userId: state.userId,
      username: state.username,
      homeDomain: user.homeDomain,
      passwordHash: "",
      disabled: state.disabled,
      memberships: state.memberships,
      profile: state.profile,
      credentialsVersion: state.credentialsVersion,
      version: found.version,
      createdAt: found.createdAt,
      updatedAt: found.updatedAt
    }
    return json(200, userView(then, domain), { "App-Event-Position": String(found.position) })
  }))
