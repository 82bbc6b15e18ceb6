import { makeSqliteEventStore, type SqliteEventStoreService } from "@machhub/adapters"
import type { ActorKind, NewEvent } from "@machhub/core"
import { randomUUID } from "node:crypto"
import { Effect } from "effect"

/** An event as the system would decide it, at a chosen time and by a chosen actor. */
export const newEvent = (
  type: string,
  data: unknown,
  meta: { readonly domain: string; readonly actor: `${ActorKind}:${string}`; readonly at: string }
): NewEvent => {
  const [kind, id] = meta.actor.split(":") as [ActorKind, string]
  return {
    id: randomUUID(),
    type,
    data,
    meta: { domain: meta.domain, actor: { kind, id }, correlationId: randomUUID(), causationId: null, commandId: null, at: meta.at }
  }
}

/** Opens the SQLite log at `path` (as the server would), runs `use`, and closes it. */
export const withStore = <A>(path: string, use: (store: SqliteEventStoreService) => Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(makeSqliteEventStore({ path }), use)))

/** Appends each [stream, event] as its own append, in order. */
export const appendAll = (store: SqliteEventStoreService, events: ReadonlyArray<readonly [string, NewEvent]>) =>
  Effect.forEach(events, ([stream, event]) => store.append(stream, "any", [event]), { discard: true })
