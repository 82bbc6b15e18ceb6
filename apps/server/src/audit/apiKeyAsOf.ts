import { Effect } from "effect"
import { json, text, type HttpResponse } from "@machhub/adapters"
import {
  API_KEY_CATEGORY,
  API_KEY_USE_CATEGORY,
  apiKeyAggregate,
  apiKeyUseAggregate,
  streamName,
  type ApiKeyEvent,
  type AsOf,
  type EventStoreService,
  type RecordedEvent
} from "@machhub/core"
import type { ApiKeyRow } from "@machhub/projections"
import { apiKeyView } from "../identity/apiKeyView.js"
import { answerAsOf, describeAsOf, stateAsOf } from "./asOf.js"

/**
 * Facts the key aggregate does not keep (it needs none of them to decide) but the key's view shows:
 * its expiry, fixed at issue, and the reason of a suspension in force.
 */
const viewFacts = (events: ReadonlyArray<RecordedEvent>) => {
  let expiresAt = 0
  let suspendReason: string | null = null
  for (const raw of events) {
    const event = raw as RecordedEvent & ApiKeyEvent
    if (event.type === "KeyIssued") expiresAt = event.data.expiresAt
    else if (event.type === "KeySuspended") suspendReason = event.data.reason ?? null
    else if (event.type === "KeyResumed" || event.type === "KeyRevoked") suspendReason = null
  }
  return { expiresAt, suspendReason }
}

/**
 * `GET /api/api-key/<id>?asOf=`: the key (grants, status) as it was then, with the last use recorded by
 * then (its `KeyUsed` events live on their own stream); never its secret or hash.
 */
export const apiKeyAsOf = (store: EventStoreService, key: ApiKeyRow, asOf: AsOf): Promise<HttpResponse> =>
  answerAsOf(Effect.map(Effect.all([
    stateAsOf(store, streamName(API_KEY_CATEGORY, key.domain, key.keyId), apiKeyAggregate, asOf),
    stateAsOf(store, streamName(API_KEY_USE_CATEGORY, key.domain, key.keyId), apiKeyUseAggregate, asOf)
  ]), ([found, used]) => {
    if (found === undefined || found.state._tag === "Absent") return text(404, `No API key ${key.keyId} as of ${describeAsOf(asOf)}`)
    const state = found.state
    const then: ApiKeyRow = {
      keyId: state.keyId,
      domain: key.domain,
      name: state.name,
      description: state.description,
      status: state.status,
      ...viewFacts(found.events),
      permissions: state.permissions,
      scopes: state.scopes,
      issuedBy: state.issuedBy,
      secretHash: "",
      version: found.version,
      createdAt: found.createdAt,
      updatedAt: found.updatedAt,
      lastUsedAt: used === undefined || used.state._tag === "Unused" ? null : new Date(used.state.lastAt).toISOString()
    }
    // "expired" is judged at that moment, not now.
    const moment = asOf.kind === "time" ? asOf.at : Date.parse(found.events[found.events.length - 1]!.meta.at)
    return json(200, apiKeyView(then, moment / 1000), { "App-Event-Position": String(found.position) })
  }))
