import { Effect } from "effect"
import { text, type HttpRequest, type HttpResponse } from "@machhub/adapters"
import { foldAsOf, type Aggregate, type AsOf, type EventStoreService, type StateAsOf } from "@machhub/core"
import { INSTANT_HINT, parseInstant } from "./timeParam.js"
import { runPromise } from "../runtime.js"

const POSITION = /^\d{1,15}$/

/**
 * `?asOf=<position|ISO time>` on a read (SPEC §10): absent → undefined (read the present); a position
 * (an integer: the state after that event of the global log) or an instant (the state after every
 * event decided at or before it); anything else → a 400 answer.
 */
export const parseAsOf = (request: HttpRequest): { ok: true; asOf: AsOf | undefined } | { ok: false; response: HttpResponse } => {
  if (request.query === "") return { ok: true, asOf: undefined }
  const values = new URLSearchParams(request.query).getAll("asOf")
  if (values.length === 0) return { ok: true, asOf: undefined }
  const raw = values[0]!
  if (values.length > 1) return { ok: false, response: text(400, "asOf is given twice") }
  if (POSITION.test(raw)) return { ok: true, asOf: { kind: "position", position: Number(raw) } }
  const at = parseInstant(raw)
  if (at === undefined) return { ok: false, response: text(400, `asOf must be a log position (an integer) or ${INSTANT_HINT}`) }
  return { ok: true, asOf: { kind: "time", at } }
}

/**
 * A stream folded with its aggregate's own `evolve` up to `asOf` (each event decoded by the aggregate's
 * Schemas first); undefined when it had no event yet.
 */
export const stateAsOf = <S>(
  store: EventStoreService,
  stream: string,
  aggregate: Pick<Aggregate<S, any>, "initialState" | "evolve" | "decodeEvent">,
  asOf: AsOf
) => Effect.flatMap(store.readStream(stream), (events) => Effect.fromResult(foldAsOf(aggregate, events, asOf)))

/** How an answer names the moment: `as of position 42` / `as of 2025-03-01T12:00:00.000Z`. */
export const describeAsOf = (asOf: AsOf): string =>
  asOf.kind === "position" ? `position ${asOf.position}` : new Date(asOf.at).toISOString()

/**
 * Runs a time-travel read; a store outage answers 503 like any other read of the log. A stored event
 * its aggregate cannot read is no outage: retrying will not help, so it answers 500 naming the event.
 */
export const answerAsOf = (program: Effect.Effect<HttpResponse, { readonly message: string; readonly _tag?: string }>): Promise<HttpResponse> =>
  runPromise(program.pipe(
    Effect.catch((error) =>
      Effect.succeed(
        error._tag === "StoredEventInvalid"
          ? text(500, `This history cannot be shown: the ${error.message}`)
          : text(503, `The event log cannot be read right now (${error.message}); retry shortly`, { "Retry-After": "1" })
      )
    )
  ))
